package application

import (
	"context"
	"log/slog"
	"time"

	"authd/domain"
	"authd/ports"
)

// DispatcherConfig tunes mail delivery. Zero fields take the defaults below.
type DispatcherConfig struct {
	PollInterval time.Duration // how often the outbox is polled when idle (1s)
	BatchSize    int           // messages claimed at once (20)
	Lease        time.Duration // how long a claim keeps other dispatchers away (2m)
	SendTimeout  time.Duration // deadline of one delivery attempt (30s)
	BaseBackoff  time.Duration // delay after the first failure, doubled each time (5s)
	MaxBackoff   time.Duration // ceiling of the delay (15m)
	MaxAge       time.Duration // after this long since enqueueing a message is dead (AUTH_MAIL_MAX_AGE, 24h)
	Metrics      ports.Metrics // delivery counts and the pending gauge; nil reports nothing
}

func (c DispatcherConfig) withDefaults() DispatcherConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PollInterval, time.Second)
	def(&c.Lease, 2*time.Minute)
	def(&c.SendTimeout, 30*time.Second)
	def(&c.BaseBackoff, 5*time.Second)
	def(&c.MaxBackoff, 15*time.Minute)
	def(&c.MaxAge, 24*time.Hour)
	if c.BatchSize <= 0 {
		c.BatchSize = 20
	}
	c.Metrics = orNop(c.Metrics)
	return c
}

// OutboxDispatcher drains the outbox through the Mailer: every message is tried
// until it is delivered or MaxAge has passed, with exponential backoff between
// attempts; a failing message never holds up the others.
type OutboxDispatcher struct {
	outbox ports.Outbox
	mailer ports.Mailer
	clock  ports.Clock
	cfg    DispatcherConfig
	log    *slog.Logger
}

var _ ports.MailDispatcher = (*OutboxDispatcher)(nil)

// NewOutboxDispatcher builds the dispatcher; cmd runs it next to the HTTP server.
func NewOutboxDispatcher(outbox ports.Outbox, mailer ports.Mailer, clock ports.Clock, cfg DispatcherConfig, log *slog.Logger) *OutboxDispatcher {
	return &OutboxDispatcher{outbox: outbox, mailer: mailer, clock: clock, cfg: cfg.withDefaults(), log: log}
}

// Run delivers mail until ctx is cancelled. A message being sent when ctx ends
// is finished (bounded by SendTimeout) so it is not sent twice after a restart.
func (d *OutboxDispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.cfg.PollInterval)
	defer t.Stop()
	for {
		for {
			n, err := d.DispatchOnce(ctx)
			if err != nil && ctx.Err() == nil {
				d.log.WarnContext(ctx, "outbox_poll_failed", "error", err)
			}
			if n < d.cfg.BatchSize || err != nil || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DispatchOnce claims one batch of due messages and tries each once. It
// returns how many it claimed.
func (d *OutboxDispatcher) DispatchOnce(ctx context.Context) (int, error) {
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	msgs, err := d.outbox.Claim(ctx, d.clock.Now(), d.cfg.Lease, d.cfg.BatchSize)
	if err != nil {
		return 0, err
	}
	d.cfg.Metrics.OutboxPending(len(msgs))
	for _, m := range msgs {
		// Detach from ctx: once claimed, an attempt runs to its end and is recorded.
		d.deliver(context.WithoutCancel(ctx), m)
	}
	return len(msgs), nil
}

func (d *OutboxDispatcher) deliver(ctx context.Context, m domain.OutboxMessage) {
	sendCtx, cancel := context.WithTimeout(ctx, d.cfg.SendTimeout)
	sendErr := d.mailer.Send(sendCtx, m.Message)
	cancel()
	now := d.clock.Now()
	var err error
	switch {
	case sendErr == nil:
		err = d.outbox.MarkSent(ctx, m.ID, now)
		d.cfg.Metrics.MailSent("sent")
		if err == nil {
			d.log.InfoContext(ctx, "mail_delivered", "message_id", m.ID, "attempts", m.Attempts+1)
		}
	case now.Sub(m.CreatedAt) >= d.cfg.MaxAge:
		d.cfg.Metrics.MailSent("dead")
		err = d.outbox.MarkDead(ctx, m.ID, now, sendErr.Error())
		if err == nil {
			d.log.ErrorContext(ctx, "mail_dead", "message_id", m.ID, "attempts", m.Attempts+1, "error", sendErr)
		}
	default:
		attempts := m.Attempts + 1
		next := now.Add(d.backoff(attempts))
		d.cfg.Metrics.MailSent("retry")
		err = d.outbox.Retry(ctx, m.ID, attempts, next, sendErr.Error())
		if err == nil {
			d.log.WarnContext(ctx, "mail_retry", "message_id", m.ID, "attempts", attempts, "next_attempt_at", next, "error", sendErr)
		}
	}
	if err != nil {
		// The lease runs out and the message is tried again: at least once, never lost.
		d.log.ErrorContext(ctx, "outbox_update_failed", "message_id", m.ID, "error", err)
	}
}

// backoff is BaseBackoff doubled per earlier attempt, capped at MaxBackoff.
func (d *OutboxDispatcher) backoff(attempts int) time.Duration {
	b := d.cfg.BaseBackoff
	for i := 1; i < attempts && b < d.cfg.MaxBackoff; i++ {
		b *= 2
	}
	return min(b, d.cfg.MaxBackoff)
}
