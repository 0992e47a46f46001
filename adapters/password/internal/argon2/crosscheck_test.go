package argon2

import (
	"bytes"
	"math/rand/v2"
	"testing"

	upstream "golang.org/x/crypto/argon2"
)

// TestSameAsUpstream checks the copy against golang.org/x/crypto/argon2 itself:
// the same key for the same input, over random passwords, salts and
// parameters (several lanes included) and at authd's production parameters.
func TestSameAsUpstream(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for i := range 200 {
		pw, salt := random(rng.IntN(40)), random(8+rng.IntN(24))
		threads := uint8(1 + rng.IntN(4))
		memory := uint32(8*int(threads) + rng.IntN(512))
		time := uint32(1 + rng.IntN(3))
		keyLen := uint32(4 + rng.IntN(60))
		if got, want := IDKey(pw, salt, time, memory, threads, keyLen), upstream.IDKey(pw, salt, time, memory, threads, keyLen); !bytes.Equal(got, want) {
			t.Fatalf("case %d (t=%d m=%d p=%d): IDKey %x, upstream %x", i, time, memory, threads, got, want)
		}
		if got, want := Key(pw, salt, time, memory, threads, keyLen), upstream.Key(pw, salt, time, memory, threads, keyLen); !bytes.Equal(got, want) {
			t.Fatalf("case %d (t=%d m=%d p=%d): Key %x, upstream %x", i, time, memory, threads, got, want)
		}
	}
	pw, salt := []byte("correct horse battery staple"), random(16)
	if got, want := IDKey(pw, salt, 2, 19456, 1, 32), upstream.IDKey(pw, salt, 2, 19456, 1, 32); !bytes.Equal(got, want) {
		t.Fatalf("production parameters: %x, upstream %x", got, want)
	}
}
