package sqlstore

import (
	"context"
	"time"

	"authd/ports"
)

// AttemptLog counts events per key in the attempts table.
type AttemptLog struct{ db *DB }

var _ ports.AttemptLog = (*AttemptLog)(nil)

// NewAttemptLog returns the attempt log on db, for wire.
func NewAttemptLog(db *DB) *AttemptLog { return &AttemptLog{db: db} }

// Record notes one event for key at at.
func (l *AttemptLog) Record(ctx context.Context, key string, at time.Time) error {
	_, err := l.db.exec(ctx, "record attempt", `INSERT INTO attempts (event_key, occurred_at) VALUES (?, ?)`, key, ms(at))
	return err
}

// CountSince counts key's events at or after since.
func (l *AttemptLog) CountSince(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	err := l.db.get(ctx, l.db.reader(ctx), &n,
		`SELECT COUNT(*) FROM attempts WHERE event_key = ? AND occurred_at >= ?`, key, ms(since))
	return n, l.db.fail(ctx, "count attempts", err)
}

// DeleteBefore forgets events older than cutoff.
func (l *AttemptLog) DeleteBefore(ctx context.Context, cutoff time.Time) (int, error) {
	return l.db.sweep(ctx, "delete attempts", "attempts", "occurred_at", ms(cutoff))
}
