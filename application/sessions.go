package application

import (
	"context"
	"errors"
	"log/slog"

	"authd/domain"
	"authd/ports"
)

// Sessions lets users see where they are logged in and end any one of those sessions.
type Sessions struct {
	tx          ports.Transactor
	events      recorder
	sessions    ports.SessionRepository
	revocations *Revocations
	clock       ports.Clock
	log         *slog.Logger
}

var _ ports.Sessions = (*Sessions)(nil)

// NewSessions builds the session-list use case.
func NewSessions(st Stores, env Env, revocations *Revocations) *Sessions {
	return &Sessions{tx: st.Tx, events: newRecorder(st, env), sessions: st.Sessions, revocations: revocations, clock: env.Clock, log: env.Log}
}

// List returns the caller's live sessions, marking the one it calls from.
func (s *Sessions) List(ctx context.Context, p ports.Principal) ([]ports.SessionInfo, error) {
	live, err := s.sessions.ListLive(ctx, p.UserID, s.clock.Now())
	if err != nil {
		return nil, err
	}
	out := make([]ports.SessionInfo, len(live))
	for i, sess := range live {
		out[i] = ports.SessionInfo{Session: sess, Current: sess.ID == p.SessionID}
	}
	return out, nil
}

// Revoke ends one live session of the caller. Any other id — unknown, ended, or
// somebody else's — is not found, so ids of other users cannot be probed.
func (s *Sessions) Revoke(ctx context.Context, p ports.Principal, id domain.SessionID) error {
	now := s.clock.Now()
	sess, err := s.sessions.ByID(ctx, id)
	if errors.Is(err, domain.ErrSessionNotFound) || (err == nil && (sess.UserID != p.UserID || !sess.Live(now))) {
		return domain.ErrSessionNotFound
	}
	if err != nil {
		return err
	}
	err = s.tx.WithinTx(ctx, func(ctx context.Context) error {
		if _, err := s.sessions.Revoke(ctx, id, now); err != nil {
			return err
		}
		return s.events.record(ctx, domain.EventSessionRevoked, p.UserID, id, "")
	})
	if err != nil {
		return err
	}
	if err := s.revocations.deny(ctx, now, id); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "session_revoked", "user_id", p.UserID, "session_id", id)
	return nil
}
