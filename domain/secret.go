package domain

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
)

// Secret is a bearer secret (a refresh, verification or reset token, an OTP) in
// clear. It redacts itself when printed or logged; Reveal is the one way out.
type Secret string

const redacted = "[REDACTED]"

// String redacts, so fmt and %v never print the secret.
func (s Secret) String() string { return redacted }

// GoString redacts for %#v.
func (s Secret) GoString() string { return redacted }

// LogValue redacts for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText redacts for encoders that would otherwise print it.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Reveal returns the secret itself, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

// Equal compares two secrets in constant time.
func (s Secret) Equal(o Secret) bool { return subtle.ConstantTimeCompare([]byte(s), []byte(o)) == 1 }

// Hash is the stored form of a high-entropy secret (SHA-256): enough for ≥256-bit
// random values, which cannot be brute-forced from it.
func (s Secret) Hash() []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// EqualHashes compares two hashes in constant time.
func EqualHashes(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
