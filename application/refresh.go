package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"authd/domain"
	"authd/ports"
)

// Refresh rotates refresh tokens: each one is spent on use and replaced, and a
// spent token presented again after the reuse grace is taken as theft, which
// ends its whole session.
type Refresh struct {
	tx          ports.Transactor
	events      recorder
	sessions    ports.SessionRepository
	issuer      *SessionIssuer
	revocations *Revocations
	random      ports.Random
	clock       ports.Clock
	settings    Settings
	log         *slog.Logger
}

var _ ports.Refresh = (*Refresh)(nil)

// NewRefresh builds the refresh use case.
func NewRefresh(st Stores, env Env, issuer *SessionIssuer, revocations *Revocations) *Refresh {
	return &Refresh{tx: st.Tx, events: newRecorder(st, env), sessions: st.Sessions, issuer: issuer, revocations: revocations, random: env.Random, clock: env.Clock,
		settings: env.Settings, log: env.Log}
}

// Refresh exchanges token for a new session token pair; see ports.Refresh.
func (r *Refresh) Refresh(ctx context.Context, token domain.Secret, _ ports.Client) (ports.SessionTokens, error) {
	if token == "" {
		return ports.SessionTokens{}, domain.ErrInvalidRefreshToken
	}
	old, sess, u, err := r.sessions.RefreshToken(ctx, token.Hash())
	if errors.Is(err, domain.ErrTokenNotFound) {
		return ports.SessionTokens{}, domain.ErrInvalidRefreshToken
	}
	if err != nil {
		return ports.SessionTokens{}, err
	}
	now := r.clock.Now()
	if err := r.judge(ctx, old, sess, now); err != nil {
		return ports.SessionTokens{}, err
	}
	if u.Deactivated() {
		return ports.SessionTokens{}, domain.ErrInvalidRefreshToken
	}

	secret, err := r.random.Secret()
	if err != nil {
		return ports.SessionTokens{}, fmt.Errorf("refresh: draw token: %w", err)
	}
	sess.RefreshExpiresAt = sess.RefreshExpiry(now, r.settings.RefreshTokenTTL)
	next := domain.RefreshToken{Hash: secret.Hash(), SessionID: sess.ID, CreatedAt: now, ExpiresAt: sess.RefreshExpiresAt}
	// The access token is signed while the rotation is stored: the signature
	// no longer waits for the store (on SQLite, for its one writer), and is
	// sent only if this refresh won the rotation.
	issued := *sess
	issued.LastUsedAt = now
	signed := r.issuer.tokensAhead(u, issued, secret)
	won, err := r.sessions.Rotate(ctx, old.Hash, next)
	tokens, signErr := signed()
	if err != nil {
		return ports.SessionTokens{}, err
	}
	if !won {
		// A concurrent refresh spent the token first: judge it as the spent token it now is.
		old, sess, _, err = r.sessions.RefreshToken(ctx, old.Hash)
		if err != nil {
			return ports.SessionTokens{}, err
		}
		return ports.SessionTokens{}, r.judge(ctx, old, sess, r.clock.Now())
	}
	return tokens, signErr
}

// judge applies the session's verdict on a presented token; a replay (reuse
// after the grace) revokes the session at once, on every instance.
func (r *Refresh) judge(ctx context.Context, old *domain.RefreshToken, sess *domain.Session, now time.Time) error {
	err := sess.JudgeRefresh(old, now, r.settings.RefreshReuseGrace)
	if !errors.Is(err, domain.ErrRefreshTokenReused) {
		return err
	}
	err = r.tx.WithinTx(ctx, func(ctx context.Context) error {
		if _, err := r.sessions.Revoke(ctx, sess.ID, now); err != nil {
			return err
		}
		return r.events.record(ctx, domain.EventRefreshReuse, sess.UserID, sess.ID, "")
	})
	if err != nil {
		return err
	}
	if err := r.revocations.deny(ctx, now, sess.ID); err != nil {
		return err
	}
	r.log.WarnContext(ctx, "refresh_token_reused", "user_id", sess.UserID, "session_id", sess.ID)
	return domain.ErrRefreshTokenReused
}
