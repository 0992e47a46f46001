package password

import (
	"context"
	"testing"

	"authd/domain"
)

// The same password in its two canonical spellings.
const (
	nfdPassword = "Zoe\u0308 cafe\u0301 cre\u0300me bru\u0302le\u0301e"
	nfcPassword = "Zoë café crème brûlée"
)

// Hashes of nfdPassword made by this package before passwords were normalised
// (it hashed the bytes as sent), with the cheap test parameters, and by bcrypt.
const (
	legacyArgon2NFD = "$argon2id$v=19$m=64,t=1,p=1$ePrIqqjGnFKWmptMJSd0WQ$Aj6pDvftMmjw4EP4crzfxC7IYdPpkH0Gj17/AUmjJAQ"
	legacyBcryptNFD = "$2a$04$G6IBNjPXL1DP73HvBWUw6.CX6uMwgAVLrMFsLkrl7KbqPRWQCc6lq"
)

func TestNormalisedPasswords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := NewHasher(Config{Params: cheap})
	if nfdPassword == nfcPassword || (Text{}).Normalize(nfdPassword) != nfcPassword {
		t.Fatal("the test passwords are not two spellings of one password")
	}
	fresh, err := h.Hash(ctx, domain.Secret(nfdPassword))
	if err != nil {
		t.Fatal(err)
	}
	fullwidth, err := h.Hash(ctx, "ｐａｓｓ ｗｏｒｄ")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name          string
		hash, pw      string
		match, rehash bool
	}{
		{"an old argon2id hash of the NFD spelling matches the NFD input and asks for a rehash", legacyArgon2NFD, nfdPassword, true, true},
		{"an old argon2id hash of the NFD spelling matches the NFC input and asks for a rehash", legacyArgon2NFD, nfcPassword, true, true},
		{"an old argon2id hash of the NFD spelling refuses a wrong password", legacyArgon2NFD, "Zoe cafe creme brulee", false, false},
		{"an old bcrypt hash of the NFD spelling matches the NFD input and asks for a rehash", legacyBcryptNFD, nfdPassword, true, true},
		{"an old bcrypt hash of the NFD spelling matches the NFC input and asks for a rehash", legacyBcryptNFD, nfcPassword, true, true},
		{"an old bcrypt hash of the NFD spelling refuses a wrong password", legacyBcryptNFD, "Zoë café crème brûlé", false, false},
		{"a new hash of the NFD spelling matches the NFC input without a rehash", fresh, nfcPassword, true, false},
		{"a new hash of the NFD spelling matches the NFD input without a rehash", fresh, nfdPassword, true, false},
		{"a new hash refuses a wrong password", fresh, "Zoë café crème brûlé", false, false},
		{"a new hash of fullwidth letters matches their NFKC form", fullwidth, "pass word", true, false},
		{"a new hash of fullwidth letters matches them again", fullwidth, "ｐａｓｓ ｗｏｒｄ", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			match, rehash, err := h.Verify(ctx, tt.hash, domain.Secret(tt.pw))
			if err != nil || match != tt.match || rehash != tt.rehash {
				t.Fatalf("Verify = %v, %v, %v; want %v, %v, nil", match, rehash, err, tt.match, tt.rehash)
			}
		})
	}

	t.Run("the rehash after an old hash matched no longer asks for one", func(t *testing.T) {
		t.Parallel()
		upgraded, err := h.Hash(ctx, domain.Secret(nfcPassword)) // what login does with the password it was given
		if err != nil {
			t.Fatal(err)
		}
		for _, pw := range []string{nfcPassword, nfdPassword} {
			if match, rehash, err := h.Verify(ctx, upgraded, domain.Secret(pw)); err != nil || !match || rehash {
				t.Fatalf("Verify(%q) = %v, %v, %v", pw, match, rehash, err)
			}
		}
	})
	t.Run("an ASCII password has one form, so it costs one hash", func(t *testing.T) {
		t.Parallel()
		if f := forms("correct horse"); len(f) != 1 {
			t.Fatalf("forms = %q", f)
		}
		if f := forms(nfcPassword); len(f) != 2 || f[0] != nfcPassword || f[1] != nfdPassword {
			t.Fatalf("forms = %q", f)
		}
		if f := forms(nfdPassword); len(f) != 2 || f[0] != nfcPassword || f[1] != nfdPassword {
			t.Fatalf("forms = %q", f)
		}
	})
}
