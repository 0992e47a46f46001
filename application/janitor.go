package application

import (
	"context"
	"log/slog"
	"time"

	"authd/ports"
)

// Janitor deletes sessions, one-time tokens and counted attempts that can never be used again,
// so storage does not grow without bound. Revoked sessions are kept while their
// access tokens could still be alive, because a re-seeded denylist needs them.
type Janitor struct {
	sessions ports.SessionRepository
	tokens   ports.OneTimeTokenRepository
	attempts ports.AttemptLog
	events   ports.SecurityEventLog
	clock    ports.Clock
	settings Settings
	log      *slog.Logger
}

var _ ports.Janitor = (*Janitor)(nil)

// NewJanitor builds the clean-up job; cmd runs it next to the HTTP server.
func NewJanitor(st Stores, env Env) *Janitor {
	return &Janitor{sessions: st.Sessions, tokens: st.Tokens, attempts: st.Attempts, events: st.Events, clock: env.Clock, settings: env.Settings, log: env.Log}
}

// janitorEvery is how often the clean-up runs.
const janitorEvery = time.Hour

// Run cleans up at start and then every hour until ctx ends.
func (j *Janitor) Run(ctx context.Context) {
	t := time.NewTicker(janitorEvery)
	defer t.Stop()
	for {
		j.CleanOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CleanOnce deletes what has ended; failures are logged and retried next time.
func (j *Janitor) CleanOnce(ctx context.Context) {
	now := j.clock.Now()
	// An access token issued just before its session ended lives AccessTokenTTL
	// longer; keep an hour of margin beyond that for clock skew between instances.
	cutoff := now.Add(-j.settings.AccessTokenTTL - time.Hour)
	sessions, err := j.sessions.DeleteExpired(ctx, cutoff)
	if err != nil && ctx.Err() == nil {
		j.log.WarnContext(ctx, "cleanup_failed", "what", "sessions", "error", err)
	}
	tokens, err := j.tokens.DeleteExpired(ctx, now.Add(-time.Hour))
	if err != nil && ctx.Err() == nil {
		j.log.WarnContext(ctx, "cleanup_failed", "what", "tokens", "error", err)
	}
	// Limits look back one hour; older events count for nothing.
	events, err := j.attempts.DeleteBefore(ctx, now.Add(-2*time.Hour))
	if err != nil && ctx.Err() == nil {
		j.log.WarnContext(ctx, "cleanup_failed", "what", "attempts", "error", err)
	}
	history, err := j.events.DeleteBefore(ctx, now.Add(-j.settings.EventRetention))
	if err != nil && ctx.Err() == nil {
		j.log.WarnContext(ctx, "cleanup_failed", "what", "security events", "error", err)
	}
	if sessions+tokens+events+history > 0 {
		j.log.InfoContext(ctx, "cleanup", "sessions_deleted", sessions, "tokens_deleted", tokens, "attempts_deleted", events,
			"security_events_deleted", history)
	}
}
