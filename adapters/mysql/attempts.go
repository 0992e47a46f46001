package mysql

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"authd/ports"
)

// AttemptLog counts events per key in the attempts table.
type AttemptLog struct{ db *DB }

var _ ports.AttemptLog = (*AttemptLog)(nil)

// NewAttemptLog returns the attempt log on db, for wire.
func NewAttemptLog(db *DB) *AttemptLog { return &AttemptLog{db: db} }

// Record notes one event for key at at.
func (l *AttemptLog) Record(ctx context.Context, key string, at time.Time) error {
	return l.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO attempts (event_key, at) VALUES (?, ?)`, key, ms(at))
		return fail(ctx, "record attempt", err)
	})
}

// CountSince counts key's events at or after since.
func (l *AttemptLog) CountSince(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, l.db.read(ctx), &n, `SELECT COUNT(*) FROM attempts WHERE event_key = ? AND at >= ?`, key, ms(since))
	return n, fail(ctx, "count attempts", err)
}

// DeleteBefore forgets events older than cutoff.
func (l *AttemptLog) DeleteBefore(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := l.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM attempts WHERE at < ?`, ms(cutoff))
		if err != nil {
			return fail(ctx, "delete attempts", err)
		}
		n, err = res.RowsAffected()
		return fail(ctx, "delete attempts", err)
	})
	return int(n), err
}
