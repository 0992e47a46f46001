package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"authd/domain"
)

var cheap = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func TestDefaultParamsAreOWASP(t *testing.T) {
	if DefaultParams != (Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}) {
		t.Fatalf("DefaultParams = %+v", DefaultParams)
	}
	if NewHasher(Config{}).Params() != DefaultParams {
		t.Fatal("a zero Config does not give the production parameters")
	}
}

func TestHasher(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(Config{Params: cheap})

	t.Run("verifies its own hash and refuses a wrong password", func(t *testing.T) {
		hash, err := h.Hash(ctx, "correct horse")
		if err != nil || !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Fatalf("hash %q, %v", hash, err)
		}
		if ok, rehash, err := h.Verify(ctx, hash, "correct horse"); !ok || rehash || err != nil {
			t.Fatalf("right password: %v %v %v", ok, rehash, err)
		}
		if ok, _, err := h.Verify(ctx, hash, "correct horsE"); ok || err != nil {
			t.Fatalf("wrong password: %v %v", ok, err)
		}
	})

	t.Run("salts every hash", func(t *testing.T) {
		a, _ := h.Hash(ctx, "same")
		b, _ := h.Hash(ctx, "same")
		if a == b {
			t.Fatal("equal hashes for equal passwords")
		}
	})

	t.Run("verifies bcrypt and asks for a rehash", func(t *testing.T) {
		b, _ := bcrypt.GenerateFromPassword([]byte("legacy pass"), bcrypt.MinCost)
		if ok, rehash, err := h.Verify(ctx, string(b), "legacy pass"); !ok || !rehash || err != nil {
			t.Fatalf("got %v %v %v", ok, rehash, err)
		}
		if ok, rehash, err := h.Verify(ctx, string(b), "wrong"); ok || rehash || err != nil {
			t.Fatalf("got %v %v %v", ok, rehash, err)
		}
		if ok, _, err := h.Verify(ctx, string(b), strings.Repeat("x", 100)); ok || err != nil {
			t.Fatalf("long password: %v %v", ok, err)
		}
	})

	t.Run("asks for a rehash when the parameters changed", func(t *testing.T) {
		old, _ := NewHasher(Config{Params: Params{Memory: 32, Iterations: 1, Parallelism: 1}}).Hash(ctx, "pw")
		if ok, rehash, err := h.Verify(ctx, old, "pw"); !ok || !rehash || err != nil {
			t.Fatalf("got %v %v %v", ok, rehash, err)
		}
	})

	for _, bad := range []string{
		"", "plain", "$argon2id$", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$!!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$2b$04$short",
	} {
		t.Run("refuses the malformed hash "+bad, func(t *testing.T) {
			if ok, _, err := h.Verify(ctx, bad, "pw"); ok || err == nil {
				t.Fatalf("got %v %v", ok, err)
			}
		})
	}
}

func TestPool(t *testing.T) {
	ctx := context.Background()

	t.Run("never runs more hashes at once than its slots", func(t *testing.T) {
		h := NewHasher(Config{Params: cheap, MaxConcurrent: 2})
		var inside, peak atomic.Int32
		h.observe = func(d int32) {
			n := inside.Add(d)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
		}
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				if _, err := h.Hash(ctx, "x"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if p := peak.Load(); p < 1 || p > 2 {
			t.Fatalf("peak %d, want at most 2", p)
		}
	})

	t.Run("gives up with the context while the pool is full", func(t *testing.T) {
		h := NewHasher(Config{Params: cheap, MaxConcurrent: 1})
		h.acquire(ctx) // hold the only slot
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := h.Hash(cctx, "x"); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("Hash: %v", err)
		}
		if _, _, err := h.Verify(cctx, "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "x"); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("Verify: %v", err)
		}
	})
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(Config{})
	for b.Loop() {
		h.Hash(context.Background(), "correct horse battery staple")
	}
}
