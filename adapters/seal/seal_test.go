package seal

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
)

func newKey(t *testing.T) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func TestSealer(t *testing.T) {
	t.Parallel()
	s, err := New(newKey(t))
	if err != nil || !s.Enabled() {
		t.Fatal(err)
	}
	secret := []byte("ed25519 private key bytes")
	sealed, err := s.Seal(secret, "key:1")
	if err != nil || bytes.Contains(sealed, secret) {
		t.Fatalf("sealed %q, %v", sealed, err)
	}
	if got, err := s.Open(sealed, "key:1"); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %q %v", got, err)
	}
	t.Run("another row's context does not open it", func(t *testing.T) {
		if _, err := s.Open(sealed, "key:2"); !errors.Is(err, ErrWrongKey) {
			t.Fatal(err)
		}
	})
	t.Run("another key does not open it", func(t *testing.T) {
		other, _ := New(newKey(t))
		if _, err := other.Open(sealed, "key:1"); !errors.Is(err, ErrWrongKey) {
			t.Fatal(err)
		}
	})
	t.Run("a changed value does not open", func(t *testing.T) {
		bad := bytes.Clone(sealed)
		bad[len(bad)-1] ^= 1
		if _, err := s.Open(bad, "key:1"); !errors.Is(err, ErrWrongKey) {
			t.Fatal(err)
		}
		if _, err := s.Open(sealed[:5], "key:1"); err == nil {
			t.Fatal("a cut value opened")
		}
	})
	t.Run("without a key values are stored in clear and sealed ones are refused", func(t *testing.T) {
		clear, _ := New("")
		stored, _ := clear.Seal(secret, "key:1")
		if clear.Enabled() || !bytes.Equal(stored[1:], secret) {
			t.Fatalf("stored %q", stored)
		}
		if got, err := s.Open(stored, "key:1"); err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("a keyed sealer reading a clear value: %q %v", got, err)
		}
		if _, err := clear.Open(sealed, "key:1"); err == nil {
			t.Fatal("an encrypted value opened without the key")
		}
	})
	t.Run("a short or malformed key is refused", func(t *testing.T) {
		for _, k := range []string{"c2hvcnQ=", "not base64 at all!"} {
			if _, err := New(k); err == nil {
				t.Fatalf("%q accepted", k)
			}
		}
	})
}
