package argon2id

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"golang.org/x/crypto/argon2"
)

// TestRFC9106 checks the test vector of RFC 9106, section 5.3 (Argon2id with
// a secret and associated data), through deriveKey.
func TestRFC9106(t *testing.T) {
	password := bytes.Repeat([]byte{0x01}, 32)
	salt := bytes.Repeat([]byte{0x02}, 16)
	secret := bytes.Repeat([]byte{0x03}, 8)
	data := bytes.Repeat([]byte{0x04}, 12)
	want := "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
	for range 2 { // the second time on the memory the first left
		if got := hex.EncodeToString(deriveKey(argon2id, password, salt, secret, data, 3, 32, 4, 32)); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
}

// TestMatchesXCrypto compares keys with golang.org/x/crypto/argon2 across
// parameters, in an order that hands each hash memory another hash of the
// same size left behind.
func TestMatchesXCrypto(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type params struct {
		time, memory uint32
		threads      uint8
		keyLen       uint32
	}
	cases := []params{
		{2, 19456, 1, 32}, // authd's cost
		{1, 8, 1, 32}, {1, 64, 1, 16}, {3, 64, 2, 32}, {1, 100, 3, 64}, {2, 1024, 4, 32}, {4, 256, 1, 100}, {1, 4096, 2, 32},
	}
	for round := range 3 {
		for _, p := range cases {
			pw := make([]byte, rng.IntN(64))
			salt := make([]byte, 8+rng.IntN(24))
			for _, b := range [][]byte{pw, salt} {
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
			}
			want := argon2.IDKey(pw, salt, p.time, p.memory, p.threads, p.keyLen)
			if got := IDKey(pw, salt, p.time, p.memory, p.threads, p.keyLen); !bytes.Equal(got, want) {
				t.Fatalf("round %d, %+v: got %x, want %x", round, p, got, want)
			}
		}
	}
}

// TestConcurrent hashes from many goroutines at once (run with -race): the
// free list never hands one memory to two hashes.
func TestConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 4 {
				pw := fmt.Appendf(nil, "password %d/%d", i, j)
				want := argon2.IDKey(pw, []byte("somesalt"), 1, 512, 1, 32)
				if got := IDKey(pw, []byte("somesalt"), 1, 512, 1, 32); !bytes.Equal(got, want) {
					t.Errorf("%s: got %x, want %x", pw, got, want)
				}
			}
		})
	}
	wg.Wait()
}

// TestFreeList keeps at most maxFreeBlocks of memory, dropping the oldest,
// and never a hash larger than that.
func TestFreeList(t *testing.T) {
	state := func() (n, total int) {
		free.Lock()
		defer free.Unlock()
		for _, b := range free.blocks {
			total += len(b)
		}
		return len(free.blocks), total
	}
	const size = maxFreeBlocks / 4
	for range 6 {
		release(make([]block, size))
	}
	if n, total := state(); n != 4 || total != maxFreeBlocks {
		t.Fatalf("%d memories of %d blocks kept, want 4 of %d", n, total, maxFreeBlocks)
	}
	release(make([]block, maxFreeBlocks+1))
	if n, total := state(); n != 4 || total != maxFreeBlocks {
		t.Fatalf("a memory above the bound was kept: %d memories, %d blocks", n, total)
	}
	release(make([]block, 2*size+1)) // drops the three oldest
	if n, total := state(); n != 2 || total != 3*size+1 {
		t.Fatalf("%d memories of %d blocks kept, want 2 of %d", n, total, 3*size+1)
	}
	if b := memoryFor(size); len(b) != size {
		t.Fatalf("got %d blocks", len(b))
	}
	if n, total := state(); n != 1 || total != 2*size+1 {
		t.Fatalf("after taking one: %d memories of %d blocks", n, total)
	}
}

// BenchmarkIDKey hashes at authd's cost on every core at once, here and in
// x/crypto, whose memory is allocated for each hash:
//
//	go test -run '^$' -bench . -benchtime 100x -count 3 ./adapters/password/internal/argon2id
func BenchmarkIDKey(b *testing.B) {
	salt := make([]byte, 16)
	for _, impl := range []struct {
		name string
		key  func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte
	}{{"free list", IDKey}, {"x/crypto", argon2.IDKey}} {
		b.Run(impl.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					impl.key([]byte("correct horse battery staple"), salt, 2, 19456, 1, 32)
				}
			})
		})
	}
}
