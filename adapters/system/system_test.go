package system

import (
	"encoding/base64"
	"testing"

	"github.com/google/uuid"
)

func TestRandom(t *testing.T) {
	r := Random{}
	t.Run("secrets carry 256 bits and differ", func(t *testing.T) {
		a, _ := r.Secret()
		b, _ := r.Secret()
		raw, err := base64.RawURLEncoding.DecodeString(a.Reveal())
		if err != nil || len(raw) != 32 || a == b {
			t.Fatalf("bad secret: %d bytes, %v", len(raw), err)
		}
	})
	t.Run("ids are UUIDv7", func(t *testing.T) {
		id, err := uuid.Parse(r.NewID())
		if err != nil || id.Version() != 7 {
			t.Fatalf("got %v, %v", id, err)
		}
	})
	t.Run("digits are decimal and every digit is about equally likely", func(t *testing.T) {
		var counts [10]int
		const draws = 20000
		for range draws / 5 {
			d, err := r.Digits(5)
			if err != nil || len(d.Reveal()) != 5 {
				t.Fatalf("got %q, %v", d.Reveal(), err)
			}
			for _, c := range d.Reveal() {
				if c < '0' || c > '9' {
					t.Fatalf("not a digit: %q", c)
				}
				counts[c-'0']++
			}
		}
		// Expected 2000 each; a fair source stays within ±15% with overwhelming probability.
		for digit, n := range counts {
			if n < 1700 || n > 2300 {
				t.Fatalf("digit %d drawn %d times of %d: %v", digit, n, draws, counts)
			}
		}
	})
}
