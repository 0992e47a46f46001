package application

import (
	"context"
	"errors"
	"log/slog"

	"authd/domain"
	"authd/ports"
)

// Logout ends the caller's session, or all of the user's sessions.
type Logout struct {
	tx          ports.Transactor
	events      recorder
	sessions    ports.SessionRepository
	revocations *Revocations
	clock       ports.Clock
	log         *slog.Logger
}

var _ ports.Logout = (*Logout)(nil)

// NewLogout builds the logout use case.
func NewLogout(st Stores, env Env, revocations *Revocations) *Logout {
	return &Logout{tx: st.Tx, events: newRecorder(st, env), sessions: st.Sessions, revocations: revocations, clock: env.Clock, log: env.Log}
}

// Logout revokes sessions; see ports.Logout.
func (l *Logout) Logout(ctx context.Context, in ports.LogoutInput) error {
	var userID domain.UserID
	var sid domain.SessionID
	switch {
	case in.Principal != nil:
		userID, sid = in.Principal.UserID, in.Principal.SessionID
	case in.RefreshToken != "":
		rt, sess, _, err := l.sessions.RefreshToken(ctx, in.RefreshToken.Hash())
		if errors.Is(err, domain.ErrTokenNotFound) {
			return domain.ErrInvalidRefreshToken
		}
		if err != nil {
			return err
		}
		now := l.clock.Now()
		if rt.RotatedAt != nil || !sess.Live(now) || !now.Before(rt.ExpiresAt) {
			return domain.ErrInvalidRefreshToken
		}
		userID, sid = sess.UserID, sess.ID
	default:
		return domain.ErrUnauthenticated
	}

	now := l.clock.Now()
	ids := []domain.SessionID{sid}
	err := l.tx.WithinTx(ctx, func(ctx context.Context) error {
		if in.Scope == ports.LogoutGlobal {
			var err error
			if ids, err = l.sessions.RevokeAllForUser(ctx, userID, now); err != nil {
				return err
			}
		} else if _, err := l.sessions.Revoke(ctx, sid, now); err != nil {
			return err
		}
		return l.events.record(ctx, domain.EventLogout, userID, sid, "")
	})
	if err != nil {
		return err
	}
	if err := l.revocations.deny(ctx, now, ids...); err != nil {
		return err
	}
	scope := in.Scope
	if scope == "" {
		scope = ports.LogoutLocal
	}
	l.log.InfoContext(ctx, "logout", "user_id", userID, "session_id", sid, "scope", string(scope), "sessions_revoked", len(ids))
	return nil
}
