package system

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestClock(t *testing.T) {
	t.Run("now is in UTC", func(t *testing.T) {
		if loc := NewClock().Now().Location(); loc != time.UTC {
			t.Fatalf("location %v", loc)
		}
	})
}

func TestSecret(t *testing.T) {
	t.Run("a secret decodes as unpadded base64url to 32 bytes and never repeats", func(t *testing.T) {
		r := NewRandom()
		seen := map[string]bool{}
		for range 100 {
			s, err := r.Secret()
			if err != nil {
				t.Fatal(err)
			}
			raw, err := base64.RawURLEncoding.Strict().DecodeString(s.Reveal())
			if err != nil || len(raw) != 32 {
				t.Fatalf("secret decodes to %d bytes, %v", len(raw), err)
			}
			if seen[s.Reveal()] {
				t.Fatal("repeated secret")
			}
			seen[s.Reveal()] = true
		}
	})
	t.Run("a failing source is an error, not a weak secret", func(t *testing.T) {
		r := Random{src: strings.NewReader("short")}
		if s, err := r.Secret(); err == nil || s != "" {
			t.Fatalf("got %d chars, %v", len(s.Reveal()), err)
		}
	})
}

func TestNewID(t *testing.T) {
	r := NewRandom()
	t.Run("an id parses as a UUID of version 7", func(t *testing.T) {
		for range 100 {
			id, err := uuid.Parse(r.NewID())
			if err != nil || id.Version() != 7 || id.Variant() != uuid.RFC4122 {
				t.Fatalf("got %v, %v", id, err)
			}
		}
	})
	t.Run("ids never repeat", func(t *testing.T) {
		seen := map[string]bool{}
		for range 1000 {
			id := r.NewID()
			if seen[id] {
				t.Fatalf("repeated id %s", id)
			}
			seen[id] = true
		}
	})
}

func TestDigits(t *testing.T) {
	r := NewRandom()
	for _, n := range []int{0, 1, 6, 8, 64} {
		t.Run("a request for "+strconv.Itoa(n)+" digits gives that many decimal digits", func(t *testing.T) {
			d, err := r.Digits(n)
			if err != nil || len(d.Reveal()) != n || strings.Trim(d.Reveal(), "0123456789") != "" {
				t.Fatalf("got %q, %v", d.Reveal(), err)
			}
		})
	}
	for _, n := range []int{-1, maxDigits + 1} {
		t.Run("a request for "+strconv.Itoa(n)+" digits is an error", func(t *testing.T) {
			if _, err := r.Digits(n); err == nil {
				t.Fatal("accepted")
			}
		})
	}

	t.Run("every digit is about equally likely over 100000 draws", func(t *testing.T) {
		const total = 100_000
		var counts [10]int
		for range total / 10 {
			d, err := r.Digits(10)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range d.Reveal() {
				counts[c-'0']++
			}
		}
		// Each digit expects 10000 with a standard deviation of about 95; 8000..12000
		// is 20 deviations away, so a fair source never fails, a broken one does.
		for digit, n := range counts {
			if n < total*8/100 || n > total*12/100 {
				t.Fatalf("digit %d drawn %d times of %d: %v", digit, n, total, counts)
			}
		}
	})

	t.Run("bytes from 250 up are drawn again instead of biasing 0 to 5", func(t *testing.T) {
		// 250..255 would map to 0..5 under a plain modulo; they must be skipped.
		src := append([]byte{250, 251, 252, 253, 254, 255, 9, 255, 18, 27}, bytes.Repeat([]byte{36}, 64)...)
		d, err := Random{src: bytes.NewReader(src)}.Digits(4)
		if err != nil || d.Reveal() != "9876" {
			t.Fatalf("got %q, %v; want 9876", d.Reveal(), err)
		}
	})
	t.Run("each byte value below 250 maps to its value modulo 10", func(t *testing.T) {
		src := make([]byte, 250)
		want := make([]byte, 250)
		for i := range src {
			src[i] = byte(i)
			want[i] = '0' + byte(i%10)
		}
		d, err := Random{src: bytes.NewReader(append(src, bytes.Repeat([]byte{0}, 64)...))}.Digits(250)
		if err != nil || d.Reveal() != string(want) {
			t.Fatalf("got %q, %v", d.Reveal(), err)
		}
	})
	t.Run("a failing source is an error", func(t *testing.T) {
		_, err := Random{src: bytes.NewReader(nil)}.Digits(6)
		if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("got %v", err)
		}
	})
}
