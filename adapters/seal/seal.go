package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"authd/ports"
)

// The versions of a stored form (its first byte).
const (
	versionClear  = 'c' // no key configured: the secret as it is
	versionAESGCM = 'g' // AES-256-GCM: nonce, then ciphertext and tag
)

// Sealer implements ports.Sealer.
type Sealer struct {
	aead cipher.AEAD // nil: no key, secrets stored in clear
}

var _ ports.Sealer = (*Sealer)(nil)

// ErrWrongKey is what Open says of a value sealed with another key, or changed.
var ErrWrongKey = errors.New("seal: the value does not open with AUTH_KEY_ENCRYPTION_KEY (another key, or a changed value)")

// New builds the sealer from the base64 text of AUTH_KEY_ENCRYPTION_KEY (at
// least 32 random bytes); "" means no encryption.
func New(encodedKey string) (*Sealer, error) {
	encodedKey = strings.TrimSpace(encodedKey)
	if encodedKey == "" {
		return &Sealer{}, nil
	}
	raw, err := base64.StdEncoding.DecodeString(encodedKey)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(encodedKey, "=")); err != nil {
			return nil, errors.New("AUTH_KEY_ENCRYPTION_KEY is not base64")
		}
	}
	if len(raw) < 32 {
		return nil, fmt.Errorf("AUTH_KEY_ENCRYPTION_KEY has %d bytes; it needs at least 32 random bytes", len(raw))
	}
	key, err := hkdf.Key(sha256.New, raw, nil, "authd seal v1", 32)
	if err != nil {
		return nil, fmt.Errorf("seal: derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Enabled reports whether a key is configured.
func (s *Sealer) Enabled() bool { return s.aead != nil }

// Seal encrypts plain bound to context, or marks it clear without a key.
func (s *Sealer) Seal(plain []byte, context string) ([]byte, error) {
	if s.aead == nil {
		return append([]byte{versionClear}, plain...), nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	out := append([]byte{versionAESGCM}, nonce...)
	return s.aead.Seal(out, nonce, plain, []byte(context)), nil
}

// Open decrypts a stored form; see ports.Sealer.
func (s *Sealer) Open(stored []byte, context string) ([]byte, error) {
	if len(stored) == 0 {
		return nil, errors.New("seal: empty stored value")
	}
	switch stored[0] {
	case versionClear:
		return stored[1:], nil
	case versionAESGCM:
		if s.aead == nil {
			return nil, errors.New("seal: the value is encrypted and AUTH_KEY_ENCRYPTION_KEY is not set")
		}
		n := s.aead.NonceSize()
		if len(stored) < 1+n+s.aead.Overhead() {
			return nil, ErrWrongKey
		}
		plain, err := s.aead.Open(nil, stored[1:1+n], stored[1+n:], []byte(context))
		if err != nil {
			return nil, ErrWrongKey
		}
		return plain, nil
	}
	return nil, errors.New("seal: unknown stored format")
}
