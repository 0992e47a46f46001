package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"authd/domain"
	"authd/ports"
)

// KeyRing keeps the key ring in the key_ring (one row: the HMAC key) and
// signing_keys tables.
type KeyRing struct{ db *DB }

var _ ports.KeyRing = (*KeyRing)(nil)

// NewKeyRing returns the key ring on db.
func NewKeyRing(db *DB) *KeyRing { return &KeyRing{db: db} }

// ringID is the fixed id of the key_ring row: inserting it twice is a unique
// violation, which is how a second instance learns the ring exists.
const ringID = "ring"

type signingKeyRow struct {
	Kid         string `db:"kid"`
	Algorithm   string `db:"algorithm"`
	PrivateKey  []byte `db:"private_key"`
	PublicKey   []byte `db:"public_key"`
	CreatedAt   int64  `db:"created_at"`
	ActivatesAt int64  `db:"activates_at"`
}

const signingKeyColumns = `kid, algorithm, private_key, public_key, created_at, activates_at`

// errRingExists rolls back an Initialize that lost the race.
var errRingExists = errors.New("key ring exists")

// Load returns the ring; see ports.KeyRing.
func (r *KeyRing) Load(ctx context.Context) (ports.StoredRing, error) {
	q := r.db.reader(ctx)
	var hmac [][]byte
	if err := r.db.sel(ctx, q, &hmac, `SELECT hmac_key FROM key_ring WHERE id = ?`, ringID); err != nil {
		return ports.StoredRing{}, r.db.fail(ctx, "load key ring", err)
	}
	var rows []signingKeyRow
	if err := r.db.sel(ctx, q, &rows, `SELECT `+signingKeyColumns+` FROM signing_keys ORDER BY activates_at, created_at, kid`); err != nil {
		return ports.StoredRing{}, r.db.fail(ctx, "load signing keys", err)
	}
	var ring ports.StoredRing
	if len(hmac) > 0 {
		ring.HMACKey = hmac[0]
		if ring.HMACKey == nil {
			ring.HMACKey = []byte{}
		}
	}
	for _, row := range rows {
		ring.Keys = append(ring.Keys, ports.StoredSigningKey{Kid: row.Kid, Algorithm: row.Algorithm, PrivateKey: row.PrivateKey,
			PublicKey: row.PublicKey, CreatedAt: fromMS(row.CreatedAt), ActivatesAt: fromMS(row.ActivatesAt)})
	}
	return ring, nil
}

// Initialize creates the ring once; see ports.KeyRing.
func (r *KeyRing) Initialize(ctx context.Context, hmacKey []byte, at time.Time, first *ports.StoredSigningKey) (bool, error) {
	err := r.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		_, err := r.db.txExec(ctx, tx, `INSERT INTO key_ring (id, hmac_key, created_at) VALUES (?, ?, ?)`, ringID, hmacKey, ms(at))
		if r.db.d.UniqueViolation(err, "key_ring", "id") {
			return errRingExists
		}
		if err != nil {
			return r.db.fail(ctx, "create key ring", err)
		}
		if first == nil {
			return nil
		}
		return r.insertKey(ctx, tx, *first)
	})
	if errors.Is(err, errRingExists) {
		return false, nil
	}
	return err == nil, err
}

// AddKey adds a signing key; see ports.KeyRing.
func (r *KeyRing) AddKey(ctx context.Context, k ports.StoredSigningKey) error {
	return r.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error { return r.insertKey(ctx, tx, k) })
}

func (r *KeyRing) insertKey(ctx context.Context, tx *sqlx.Tx, k ports.StoredSigningKey) error {
	_, err := r.db.txExec(ctx, tx, `INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		k.Kid, k.Algorithm, k.PrivateKey, k.PublicKey, ms(k.CreatedAt), ms(k.ActivatesAt))
	if r.db.d.UniqueViolation(err, "signing_keys", "kid") {
		return domain.ErrConflict
	}
	return r.db.fail(ctx, "add signing key", err)
}
