package password

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"authd/domain"
)

// cheap keeps tests fast on a small machine; production cost is checked once below.
var cheap = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// validCheapHash is a well-formed argon2id hash with the cheap parameters.
const validCheapHash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"

func TestDefaultParams(t *testing.T) {
	t.Run("DefaultParams are OWASP's argon2id recommendation", func(t *testing.T) {
		want := Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
		if DefaultParams != want {
			t.Fatalf("DefaultParams = %+v, want %+v", DefaultParams, want)
		}
	})
	t.Run("a zero Config hashes with the production parameters", func(t *testing.T) {
		if got := NewHasher(Config{}).Params(); got != DefaultParams {
			t.Fatalf("Params() = %+v", got)
		}
		if got := cap(NewHasher(Config{}).slots); got < 1 {
			t.Fatalf("pool of %d slots", got)
		}
	})
}

func TestHashAndVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(Config{Params: cheap})
	hash, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := bcrypt.GenerateFromPassword([]byte("legacy pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	older, err := NewHasher(Config{Params: Params{Memory: 32, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}}).Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	longerKey, err := NewHasher(Config{Params: Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 64}}).Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name          string
		hash, pw      string
		match, rehash bool
	}{
		{"its own hash matches the right password without a rehash", hash, "correct horse", true, false},
		{"its own hash refuses a wrong password", hash, "correct horsE", false, false},
		{"its own hash refuses an empty password", hash, "", false, false},
		{"a bcrypt hash matches and asks for a rehash", string(legacy), "legacy pass", true, true},
		{"a bcrypt hash refuses a wrong password", string(legacy), "wrong", false, false},
		{"a bcrypt hash refuses a password longer than 72 bytes without an error", string(legacy), strings.Repeat("x", 100), false, false},
		{"a hash with less memory matches and asks for a rehash", older, "pw", true, true},
		{"a hash with another key length matches and asks for a rehash", longerKey, "pw", true, true},
		{"a hash with other parameters refuses a wrong password without a rehash", older, "nope", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			match, rehash, err := h.Verify(ctx, tt.hash, domain.Secret(tt.pw))
			if err != nil || match != tt.match || rehash != tt.rehash {
				t.Fatalf("Verify = %v, %v, %v; want %v, %v, nil", match, rehash, err, tt.match, tt.rehash)
			}
		})
	}

	t.Run("a hash is a PHC argon2id string with the configured parameters", func(t *testing.T) {
		if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Count(hash, "$") != 5 {
			t.Fatalf("hash %q", hash)
		}
		p, salt, key, err := parseArgon2(hash)
		if err != nil || p != cheap || len(salt) != 16 || len(key) != 32 {
			t.Fatalf("parsed %+v, %d, %d, %v", p, len(salt), len(key), err)
		}
	})
	t.Run("the same password hashes differently every time", func(t *testing.T) {
		again, err := h.Hash(ctx, "correct horse")
		if err != nil || again == hash {
			t.Fatalf("second hash %q, %v", again, err)
		}
	})
}

func TestMalformedHashes(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(Config{Params: cheap})
	expensiveBcrypt, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	expensiveBcrypt[4], expensiveBcrypt[5] = '3', '1' // $2a$31$: 2^31 rounds

	tests := []struct{ name, hash string }{
		{"an empty hash", ""},
		{"a plain-text password", "plain"},
		{"an unknown algorithm", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"a bare argon2id prefix", "$argon2id$"},
		{"an argon2id hash without a key", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0"},
		{"an argon2id hash with an extra field", validCheapHash + "$x"},
		{"another argon2 version", "$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"a version with trailing junk", "$argon2id$v=19x$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"parameters out of order", "$argon2id$v=19$t=1,m=64,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"a signed parameter", "$argon2id$v=19$m=+64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"a zero-padded parameter", "$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"a parameter overflowing 32 bits", "$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"memory above 1 GiB", "$argon2id$v=19$m=1048577,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"more than 100 iterations", "$argon2id$v=19$m=64,t=101,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"zero iterations", "$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"zero parallelism", "$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"less than 8 KiB of memory per lane", "$argon2id$v=19$m=64,t=1,p=16$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"parallelism above 255", "$argon2id$v=19$m=4096,t=1,p=256$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"a salt that is not base64", "$argon2id$v=19$m=64,t=1,p=1$!!!$aGFzaGhhc2hoYXNoaGFzaA"},
		{"a padded salt", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0YQ==$aGFzaGhhc2hoYXNoaGFzaA"},
		{"a salt shorter than 8 bytes", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA"},
		{"a key shorter than 16 bytes", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA"},
		{"a truncated bcrypt hash", "$2b$04$short"},
		{"a bcrypt hash with cost 31", string(expensiveBcrypt)},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is an error, not a match", func(t *testing.T) {
			match, rehash, err := h.Verify(ctx, tt.hash, "pw")
			if err == nil || match || rehash {
				t.Fatalf("Verify = %v, %v, %v; want an error", match, rehash, err)
			}
			if strings.Contains(err.Error(), "pw") && !strings.Contains(tt.hash, "pw") {
				t.Fatalf("error %q mentions the password", err)
			}
		})
	}
}

func TestPool(t *testing.T) {
	ctx := context.Background()

	for _, slots := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("never runs more hashes at once than its %d slots", slots), func(t *testing.T) {
			h := NewHasher(Config{Params: cheap, MaxConcurrent: slots})
			var inside, peak atomic.Int32
			h.observe = func(d int32) {
				n := inside.Add(d)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
			}
			var wg sync.WaitGroup
			for i := range 24 {
				wg.Go(func() {
					if i%2 == 0 {
						if _, err := h.Hash(ctx, "x"); err != nil {
							t.Error(err)
						}
						return
					}
					if _, _, err := h.Verify(ctx, validCheapHash, "x"); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if p := peak.Load(); p < 1 || p > int32(slots) {
				t.Fatalf("peak of %d hashes at once, want 1..%d", p, slots)
			}
			if n := inside.Load(); n != 0 {
				t.Fatalf("%d slots still taken after all hashes ended", n)
			}
		})
	}

	full := func(t *testing.T) *Hasher {
		t.Helper()
		h := NewHasher(Config{Params: cheap, MaxConcurrent: 1})
		done, err := h.acquire(ctx) // hold the only slot
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.release(done) })
		return h
	}
	calls := []struct {
		name string
		call func(h *Hasher, ctx context.Context) error
	}{
		{"Hash", func(h *Hasher, ctx context.Context) error { _, err := h.Hash(ctx, "x"); return err }},
		{"Verify of argon2id", func(h *Hasher, ctx context.Context) error {
			_, _, err := h.Verify(ctx, validCheapHash, "x")
			return err
		}},
		{"Verify of bcrypt", func(h *Hasher, ctx context.Context) error {
			_, _, err := h.Verify(ctx, "$2a$04$abcdefghijklmnopqrstuuSEtWFvsUoaRmZq1q9NRLE3c5cqsK3i6", "x")
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name+" gives up as unavailable when the context is cancelled while the pool is full", func(t *testing.T) {
			h := full(t)
			cctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- c.call(h, cctx) }()
			cancel()
			err := <-done
			if !errors.Is(err, domain.ErrUnavailable) || !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want ErrUnavailable wrapping context.Canceled", err)
			}
		})
	}
	t.Run("a freed slot is used by the next hash", func(t *testing.T) {
		h := NewHasher(Config{Params: cheap, MaxConcurrent: 1})
		for range 3 {
			if _, err := h.Hash(ctx, "x"); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(Config{Params: DefaultParams})
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
