package sqlstore

import (
	"context"
	"time"

	"authd/domain"
	"authd/ports"
)

// SecurityEventLog keeps account histories in the security_events table.
type SecurityEventLog struct{ db *DB }

var _ ports.SecurityEventLog = (*SecurityEventLog)(nil)

// NewSecurityEventLog returns the event log on db.
func NewSecurityEventLog(db *DB) *SecurityEventLog { return &SecurityEventLog{db: db} }

type eventRow struct {
	ID        string `db:"id"`
	UserID    string `db:"user_id"`
	Type      string `db:"type"`
	CreatedAt int64  `db:"created_at"`
	IP        string `db:"ip"`
	UserAgent string `db:"user_agent"`
	SessionID string `db:"session_id"`
	ActorID   string `db:"actor_id"`
}

const eventColumns = `id, user_id, type, created_at, ip, user_agent, session_id, actor_id`

// Record stores e, in the caller's transaction when there is one.
func (l *SecurityEventLog) Record(ctx context.Context, e domain.SecurityEvent) error {
	_, err := l.db.exec(ctx, "record security event", `INSERT INTO security_events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, string(e.UserID), string(e.Type), ms(e.CreatedAt), l.db.d.text(e.IP), l.db.d.text(e.UserAgent), string(e.SessionID), string(e.ActorID))
	return err
}

// ListForUser returns one page of the user's history, newest first.
func (l *SecurityEventLog) ListForUser(ctx context.Context, userID domain.UserID, before string, limit int) ([]domain.SecurityEvent, error) {
	query, args := `SELECT `+eventColumns+` FROM security_events WHERE user_id = ?`, []any{string(userID)}
	if before != "" {
		query, args = query+` AND id < ?`, append(args, before)
	}
	var rows []eventRow
	if err := l.db.sel(ctx, l.db.reader(ctx), &rows, query+` ORDER BY id DESC LIMIT ?`, append(args, limit)...); err != nil {
		return nil, l.db.fail(ctx, "list security events", err)
	}
	out := make([]domain.SecurityEvent, len(rows))
	for i, r := range rows {
		out[i] = domain.SecurityEvent{ID: r.ID, UserID: domain.UserID(r.UserID), Type: domain.EventType(r.Type), CreatedAt: fromMS(r.CreatedAt),
			IP: r.IP, UserAgent: r.UserAgent, SessionID: domain.SessionID(r.SessionID), ActorID: domain.UserID(r.ActorID)}
	}
	return out, nil
}

// DeleteBefore removes events recorded before cutoff (retention).
func (l *SecurityEventLog) DeleteBefore(ctx context.Context, cutoff time.Time) (int, error) {
	return l.db.sweep(ctx, "delete security events", "security_events", "created_at", ms(cutoff))
}
