package sqlstore

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/jmoiron/sqlx"

	"authd/domain"
	"authd/ports"
)

// Outbox keeps outgoing mail in the outbox table until the dispatcher has
// delivered it or given up.
type Outbox struct{ db *DB }

var _ ports.Outbox = (*Outbox)(nil)

// NewOutbox returns the outbox on db, for wire.
func NewOutbox(db *DB) *Outbox { return &Outbox{db: db} }

// outboxRow is a claimed outbox row.
type outboxRow struct {
	ID            string `db:"id"`
	Recipient     string `db:"recipient"`
	Subject       string `db:"subject"`
	TextBody      string `db:"text_body"`
	HTMLBody      string `db:"html_body"`
	CreatedAt     int64  `db:"created_at"`
	Attempts      int    `db:"attempts"`
	NextAttemptAt int64  `db:"next_attempt_at"`
	LastError     string `db:"last_error"`
}

func (r outboxRow) message() domain.OutboxMessage {
	return domain.OutboxMessage{
		Message:       domain.Message{ID: r.ID, To: domain.EmailFromDatabase(r.Recipient), Subject: r.Subject, Text: r.TextBody, HTML: r.HTMLBody},
		CreatedAt:     fromMS(r.CreatedAt),
		Attempts:      r.Attempts,
		NextAttemptAt: fromMS(r.NextAttemptAt),
		LastError:     r.LastError,
	}
}

// Enqueue stores m, due at now; a message without an ID gets a random one so
// that its Message-ID stays stable across retries.
func (o *Outbox) Enqueue(ctx context.Context, m domain.Message, now time.Time) error {
	if m.ID == "" {
		m.ID = rand.Text()
	}
	_, err := o.db.exec(ctx, "enqueue message", `INSERT INTO outbox
		(id, recipient, subject, text_body, html_body, created_at, attempts, next_attempt_at, last_error)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?, '')`,
		m.ID, m.To.String(), m.Subject, m.Text, m.HTML, ms(now), ms(now))
	return err
}

// Claim leases up to limit due messages until now+lease: it locks them with
// the dialect's SKIP LOCKED select (or the single writer) and sets their lease in the same
// transaction, so a concurrent dispatcher, on any instance, skips them instead
// of waiting and never holds the same message; they are returned oldest first.
func (o *Outbox) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]domain.OutboxMessage, error) {
	if limit <= 0 {
		return nil, nil
	}
	var rows []outboxRow
	err := o.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		rows = rows[:0]
		err := o.db.sel(ctx, tx, &rows, `SELECT id, recipient, subject, text_body, html_body, created_at,
				attempts, next_attempt_at, last_error
			FROM outbox
			WHERE sent_at IS NULL AND dead_at IS NULL AND next_attempt_at <= ?
			  AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY created_at, id
			LIMIT ?
			`+o.db.d.SkipLocked, ms(now), ms(now), limit)
		if err != nil || len(rows) == 0 {
			return o.db.fail(ctx, "claim messages", err)
		}
		args := make([]any, 0, len(rows)+1)
		args = append(args, ms(now.Add(lease)))
		for _, r := range rows {
			args = append(args, r.ID)
		}
		_, err = o.db.txExec(ctx, tx, `UPDATE outbox SET lease_until = ? WHERE id IN (`+placeholders(len(rows))+`)`, args...)
		return o.db.fail(ctx, "claim messages", err)
	})
	if err != nil {
		return nil, err
	}
	out := make([]domain.OutboxMessage, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.message())
	}
	return out, nil
}

// MarkSent records delivery, releases the lease and drops the body, which may
// hold a secret link or code.
func (o *Outbox) MarkSent(ctx context.Context, id string, now time.Time) error {
	_, err := o.db.exec(ctx, "mark message sent", `UPDATE outbox SET sent_at = ?, lease_until = NULL,
		subject = '', text_body = '', html_body = '' WHERE id = ?`, ms(now), id)
	return err
}

// Retry records a failed attempt and makes the message due again at next,
// releasing its lease.
func (o *Outbox) Retry(ctx context.Context, id string, attempts int, next time.Time, lastErr string) error {
	_, err := o.db.exec(ctx, "retry message", `UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?,
		lease_until = NULL WHERE id = ? AND sent_at IS NULL AND dead_at IS NULL`, attempts, ms(next), o.db.d.longText(lastErr), id)
	return err
}

// MarkDead gives up on the message, records why and drops its body.
func (o *Outbox) MarkDead(ctx context.Context, id string, now time.Time, lastErr string) error {
	_, err := o.db.exec(ctx, "mark message dead", `UPDATE outbox SET dead_at = ?, last_error = ?, lease_until = NULL,
		subject = '', text_body = '', html_body = '' WHERE id = ?`, ms(now), o.db.d.longText(lastErr), id)
	return err
}
