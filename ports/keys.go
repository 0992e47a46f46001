package ports

import (
	"context"
	"crypto/ed25519"
	"time"

	"authd/domain"
)

// StoredSigningKey is one signing key of the key ring as the store keeps it:
// the private key sealed (ports.Sealer, bound to the kid), the public key in clear.
type StoredSigningKey struct {
	Kid         string
	Algorithm   string // "EdDSA"
	PrivateKey  []byte // sealed Ed25519 seed (32 bytes once opened)
	PublicKey   []byte // raw Ed25519 public key (32 bytes)
	CreatedAt   time.Time
	ActivatesAt time.Time
}

// StoredRing is the whole key ring as stored.
type StoredRing struct {
	// HMACKey is the sealed server HMAC key; nil while the ring was never created.
	HMACKey []byte
	Keys    []StoredSigningKey
}

// KeyRing stores the key ring that every instance sharing the database shares.
// Rows are only ever inserted: a key's state is derived from its times.
type KeyRing interface {
	// Load returns the ring (an empty StoredRing before Initialize).
	Load(ctx context.Context) (StoredRing, error)
	// Initialize creates the ring with its HMAC key and, when first is not
	// nil, its first signing key, in one transaction. It returns false, and
	// changes nothing, when another instance created the ring first.
	Initialize(ctx context.Context, hmacKey []byte, at time.Time, first *StoredSigningKey) (bool, error)
	// AddKey adds a signing key; domain.ErrConflict when its kid exists.
	AddKey(ctx context.Context, k StoredSigningKey) error
}

// PublicKey is a published verification key and its kid.
type PublicKey struct {
	Kid string
	Key ed25519.PublicKey
}

// SigningKeys is where the token issuer takes its Ed25519 keys from: the key
// that signs now, and every published key by kid.
type SigningKeys interface {
	// SigningKey returns the key that signs new tokens now.
	SigningKey() (kid string, key ed25519.PrivateKey, err error)
	// VerificationKey returns the published key named kid; false when there is
	// none (unknown or retired).
	VerificationKey(kid string) (ed25519.PublicKey, bool)
	// PublishedKeys returns every published key (next, signing, retiring).
	PublishedKeys() []PublicKey
}

// KeyRotation is the admin API's rotation of the signing key.
type KeyRotation interface {
	// RotateKey adds a new signing key that signs after the JWKS cache
	// lifetime. Errors: forbidden (not an admin), conflict (the signing key is
	// configured, not in the ring).
	RotateKey(ctx context.Context, p Principal) (domain.KeyStatus, error)
}

// KeyOperators is the command line's view of the key ring (no caller to check).
type KeyOperators interface {
	// ListKeys returns every signing key of the ring with its state now.
	ListKeys(ctx context.Context) ([]domain.KeyStatus, error)
	// Rotate adds a new signing key; see KeyRotation.
	Rotate(ctx context.Context) (domain.KeyStatus, error)
}
