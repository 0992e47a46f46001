package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"authd/domain"
	"authd/ports"
)

// OneTimeTokenRepository stores the hashes of emailed secrets in the
// one_time_tokens table.
type OneTimeTokenRepository struct{ db *DB }

var _ ports.OneTimeTokenRepository = (*OneTimeTokenRepository)(nil)

// NewOneTimeTokenRepository returns the one-time token store on db, for wire.
func NewOneTimeTokenRepository(db *DB) *OneTimeTokenRepository {
	return &OneTimeTokenRepository{db: db}
}

// tokenRow is a one_time_tokens row as stored.
type tokenRow struct {
	ID        string        `db:"id"`
	Hash      []byte        `db:"hash"`
	Purpose   string        `db:"purpose"`
	UserID    string        `db:"user_id"`
	CreatedAt int64         `db:"created_at"`
	ExpiresAt int64         `db:"expires_at"`
	UsedAt    sql.NullInt64 `db:"used_at"`
	Attempts  int           `db:"attempts"`
	Payload   string        `db:"payload"`
}

const tokenColumns = `id, hash, purpose, user_id, created_at, expires_at, used_at, attempts, payload`

func (r tokenRow) token() *domain.OneTimeToken {
	return &domain.OneTimeToken{
		ID:        r.ID,
		Hash:      r.Hash,
		Purpose:   domain.TokenPurpose(r.Purpose),
		UserID:    domain.UserID(r.UserID),
		CreatedAt: fromMS(r.CreatedAt),
		ExpiresAt: fromMS(r.ExpiresAt),
		UsedAt:    fromNullMS(r.UsedAt),
		Attempts:  r.Attempts,
		Payload:   r.Payload,
	}
}

// Create stores a new token.
func (r *OneTimeTokenRepository) Create(ctx context.Context, t *domain.OneTimeToken) error {
	_, err := r.db.exec(ctx, "create one-time token", `INSERT INTO one_time_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Hash, string(t.Purpose), string(t.UserID), ms(t.CreatedAt), ms(t.ExpiresAt), nullMS(t.UsedAt), t.Attempts, t.Payload)
	return err
}

// Consume spends the unused, unexpired token of purpose with hash by one
// conditional update (every engine evaluates it on the latest row under its
// write lock, so of concurrent attempts exactly one succeeds) and reads the
// spent token back in the same transaction; domain.ErrTokenNotFound when no
// such token can be used.
func (r *OneTimeTokenRepository) Consume(ctx context.Context, purpose domain.TokenPurpose, hash []byte, now time.Time) (*domain.OneTimeToken, error) {
	var row tokenRow
	err := r.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		n, err := r.db.txExec(ctx, tx, `UPDATE one_time_tokens SET used_at = ?
			WHERE purpose = ? AND hash = ? AND used_at IS NULL AND expires_at > ?`,
			ms(now), string(purpose), hash, ms(now))
		if err != nil {
			return r.db.fail(ctx, "consume one-time token", err)
		}
		if n != 1 {
			return domain.ErrTokenNotFound
		}
		err = r.db.get(ctx, tx, &row, `SELECT `+tokenColumns+` FROM one_time_tokens WHERE purpose = ? AND hash = ?`,
			string(purpose), hash)
		return r.db.fail(ctx, "consume one-time token", err)
	})
	if err != nil {
		return nil, err
	}
	return row.token(), nil
}

// Void marks every unused token of the user with one of purposes as used at
// now, so that a newer token is the only one that works; no purposes, no change.
func (r *OneTimeTokenRepository) Void(ctx context.Context, userID domain.UserID, now time.Time, purposes ...domain.TokenPurpose) error {
	if len(purposes) == 0 {
		return nil
	}
	args := []any{ms(now), string(userID)}
	for _, p := range purposes {
		args = append(args, string(p))
	}
	_, err := r.db.exec(ctx, "void one-time tokens", `UPDATE one_time_tokens SET used_at = ?
		WHERE user_id = ? AND used_at IS NULL AND purpose IN (`+placeholders(len(purposes))+`)`, args...)
	return err
}

// DeleteExpired removes tokens that expired before cutoff, a batch at a time
// (DB.sweep), and returns how many.
func (r *OneTimeTokenRepository) DeleteExpired(ctx context.Context, cutoff time.Time) (int, error) {
	return r.db.sweep(ctx, "delete expired one-time tokens", "one_time_tokens", "expires_at", ms(cutoff))
}

// Latest returns the user's newest usable token of purpose; domain.ErrTokenNotFound otherwise.
func (r *OneTimeTokenRepository) Latest(ctx context.Context, userID domain.UserID, purpose domain.TokenPurpose, now time.Time) (*domain.OneTimeToken, error) {
	var row tokenRow
	err := r.db.get(ctx, r.db.reader(ctx), &row, `SELECT `+tokenColumns+` FROM one_time_tokens
		WHERE user_id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, id DESC LIMIT 1`, string(userID), string(purpose), ms(now))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrTokenNotFound
	}
	if err != nil {
		return nil, r.db.fail(ctx, "latest one-time token", err)
	}
	return row.token(), nil
}

// AddAttempt counts one try against the token by one conditional update, which
// every engine evaluates on the latest row under its write lock, so parallel guesses can
// never count more than max.
func (r *OneTimeTokenRepository) AddAttempt(ctx context.Context, id string, max int, now time.Time) (bool, error) {
	n, err := r.db.exec(ctx, "count one-time token attempt", `UPDATE one_time_tokens SET attempts = attempts + 1
		WHERE id = ? AND used_at IS NULL AND expires_at > ? AND attempts < ?`, id, ms(now), max)
	return err == nil && n == 1, err
}
