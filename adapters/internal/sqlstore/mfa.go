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

// TOTPRepository stores authenticator enrolments in the totp_enrolments table.
type TOTPRepository struct{ db *DB }

var _ ports.TOTPRepository = (*TOTPRepository)(nil)

// NewTOTPRepository returns the enrolment store on db, for wire.
func NewTOTPRepository(db *DB) *TOTPRepository { return &TOTPRepository{db: db} }

// totpRow is a totp_enrolments row as stored.
type totpRow struct {
	UserID      string        `db:"user_id"`
	Secret      []byte        `db:"secret"`
	Pending     []byte        `db:"pending"`
	PendingAt   sql.NullInt64 `db:"pending_at"`
	ConfirmedAt sql.NullInt64 `db:"confirmed_at"`
	LastStep    int64         `db:"last_step"`
	UpdatedAt   int64         `db:"updated_at"`
}

const totpColumns = `user_id, secret, pending, pending_at, confirmed_at, last_step, updated_at`

func (r totpRow) enrolment() *domain.TOTPEnrolment {
	return &domain.TOTPEnrolment{
		UserID:      domain.UserID(r.UserID),
		Secret:      nilIfEmpty(r.Secret),
		Pending:     nilIfEmpty(r.Pending),
		PendingAt:   fromNullMS(r.PendingAt),
		ConfirmedAt: fromNullMS(r.ConfirmedAt),
		LastStep:    r.LastStep,
		UpdatedAt:   fromMS(r.UpdatedAt),
	}
}

// nilIfEmpty keeps "no secret" one value whatever an engine returns for NULL.
func nilIfEmpty(b []byte) domain.SealedSecret {
	if len(b) == 0 {
		return nil
	}
	return domain.SealedSecret(b)
}

// nullBytes stores an absent secret as NULL.
func nullBytes(b domain.SealedSecret) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

// ByUser returns domain.ErrTOTPNotFound when the account has no enrolment.
func (r *TOTPRepository) ByUser(ctx context.Context, userID domain.UserID) (*domain.TOTPEnrolment, error) {
	return r.one(ctx, r.db.reader(ctx), `SELECT `+totpColumns+` FROM totp_enrolments WHERE user_id = ?`, string(userID))
}

func (r *TOTPRepository) one(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) (*domain.TOTPEnrolment, error) {
	var row totpRow
	if err := r.db.get(ctx, q, &row, query, args...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, domain.ErrTOTPNotFound
		}
		return nil, r.db.fail(ctx, "find totp enrolment", err)
	}
	return row.enrolment(), nil
}

// Update locks the account's users row first (so that two transactions
// creating the first enrolment of one account apply one after the other on
// every engine), loads the enrolment or starts an empty one, lets fn change it
// and writes it back; domain.ErrUserNotFound when there is no such account.
func (r *TOTPRepository) Update(ctx context.Context, userID domain.UserID, fn func(*domain.TOTPEnrolment) error) error {
	return r.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		var id string
		if err := r.db.get(ctx, tx, &id, `SELECT id FROM users WHERE id = ?`+r.db.d.LockRows, string(userID)); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return domain.ErrUserNotFound
			}
			return r.db.fail(ctx, "lock user for totp", err)
		}
		e, err := r.one(ctx, tx, `SELECT `+totpColumns+` FROM totp_enrolments WHERE user_id = ?`+r.db.d.LockRows, string(userID))
		exists := err == nil
		if errors.Is(err, domain.ErrTOTPNotFound) {
			e, err = &domain.TOTPEnrolment{UserID: userID}, nil
		}
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
		args := []any{nullBytes(e.Secret), nullBytes(e.Pending), nullMS(e.PendingAt), nullMS(e.ConfirmedAt), e.LastStep, ms(e.UpdatedAt), string(userID)}
		if exists {
			_, err = r.db.txExec(ctx, tx, `UPDATE totp_enrolments SET secret = ?, pending = ?, pending_at = ?, confirmed_at = ?,
				last_step = ?, updated_at = ? WHERE user_id = ?`, args...)
		} else {
			_, err = r.db.txExec(ctx, tx, `INSERT INTO totp_enrolments (secret, pending, pending_at, confirmed_at, last_step, updated_at, user_id)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, args...)
		}
		return r.db.fail(ctx, "save totp enrolment", err)
	})
}

// UseStep advances the last accepted step by one conditional update, which
// every engine evaluates on the latest row under its write lock, so one code
// is accepted once across any number of instances.
func (r *TOTPRepository) UseStep(ctx context.Context, userID domain.UserID, step int64, now time.Time) (bool, error) {
	n, err := r.db.exec(ctx, "use totp step", `UPDATE totp_enrolments SET last_step = ?, updated_at = ?
		WHERE user_id = ? AND secret IS NOT NULL AND confirmed_at IS NOT NULL AND last_step < ?`,
		step, ms(now), string(userID), step)
	return err == nil && n == 1, err
}

// RecoveryCodeRepository stores the hashes of recovery codes in the
// recovery_codes table.
type RecoveryCodeRepository struct{ db *DB }

var _ ports.RecoveryCodeRepository = (*RecoveryCodeRepository)(nil)

// NewRecoveryCodeRepository returns the recovery code store on db, for wire.
func NewRecoveryCodeRepository(db *DB) *RecoveryCodeRepository {
	return &RecoveryCodeRepository{db: db}
}

// Replace drops the account's codes and stores set, in one transaction.
func (r *RecoveryCodeRepository) Replace(ctx context.Context, userID domain.UserID, set []domain.RecoveryCode) error {
	return r.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		if _, err := r.db.txExec(ctx, tx, `DELETE FROM recovery_codes WHERE user_id = ?`, string(userID)); err != nil {
			return r.db.fail(ctx, "drop recovery codes", err)
		}
		for _, c := range set {
			if _, err := r.db.txExec(ctx, tx, `INSERT INTO recovery_codes (id, user_id, hash, created_at, used_at) VALUES (?, ?, ?, ?, ?)`,
				c.ID, string(userID), c.Hash, ms(c.CreatedAt), nullMS(c.UsedAt)); err != nil {
				return r.db.fail(ctx, "store recovery code", err)
			}
		}
		return nil
	})
}

// Use spends the code by one conditional update, so of concurrent uses of
// one code exactly one succeeds.
func (r *RecoveryCodeRepository) Use(ctx context.Context, userID domain.UserID, hash []byte, now time.Time) (bool, error) {
	n, err := r.db.exec(ctx, "use recovery code", `UPDATE recovery_codes SET used_at = ?
		WHERE user_id = ? AND hash = ? AND used_at IS NULL`, ms(now), string(userID), hash)
	return err == nil && n == 1, err
}

// CountUnused counts the account's codes not yet used.
func (r *RecoveryCodeRepository) CountUnused(ctx context.Context, userID domain.UserID) (int, error) {
	var n int
	if err := r.db.get(ctx, r.db.reader(ctx), &n, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`,
		string(userID)); err != nil {
		return 0, r.db.fail(ctx, "count recovery codes", err)
	}
	return n, nil
}

// DeleteAll drops every code of the account.
func (r *RecoveryCodeRepository) DeleteAll(ctx context.Context, userID domain.UserID) error {
	_, err := r.db.exec(ctx, "drop recovery codes", `DELETE FROM recovery_codes WHERE user_id = ?`, string(userID))
	return err
}

// Find returns the usable token of purpose with hash without spending it;
// domain.ErrTokenNotFound otherwise.
func (r *OneTimeTokenRepository) Find(ctx context.Context, purpose domain.TokenPurpose, hash []byte, now time.Time) (*domain.OneTimeToken, error) {
	var row tokenRow
	err := r.db.get(ctx, r.db.reader(ctx), &row, `SELECT `+tokenColumns+` FROM one_time_tokens
		WHERE purpose = ? AND hash = ? AND used_at IS NULL AND expires_at > ?`, string(purpose), hash, ms(now))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrTokenNotFound
	}
	if err != nil {
		return nil, r.db.fail(ctx, "find one-time token", err)
	}
	return row.token(), nil
}
