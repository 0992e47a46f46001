package application

import (
	"context"
	"fmt"

	"authd/domain"
	"authd/ports"
)

// SessionIssuer starts sessions and mints their tokens; login, registration,
// refresh and password change all hand out tokens through it, so every session
// obeys the same lifetimes.
type SessionIssuer struct {
	sessions ports.SessionRepository
	tokens   ports.TokenIssuer
	random   ports.Random
	clock    ports.Clock
	settings Settings
}

// NewSessionIssuer builds a SessionIssuer.
func NewSessionIssuer(st Stores, env Env, tokens ports.TokenIssuer) *SessionIssuer {
	return &SessionIssuer{sessions: st.Sessions, tokens: tokens, random: env.Random, clock: env.Clock, settings: env.Settings}
}

// Start creates a new session for u with its first refresh token and an access token.
func (s *SessionIssuer) Start(ctx context.Context, u *domain.User, client ports.Client) (ports.SessionTokens, error) {
	now := s.clock.Now()
	refresh, err := s.random.Secret()
	if err != nil {
		return ports.SessionTokens{}, fmt.Errorf("session: draw refresh token: %w", err)
	}
	sess := &domain.Session{
		ID:         domain.SessionID(s.random.NewID()),
		UserID:     u.ID,
		CreatedAt:  now,
		LastUsedAt: now,
		ExpiresAt:  now.Add(s.settings.SessionMaxAge),
		UserAgent:  client.UserAgent,
		IP:         client.IP,
	}
	sess.RefreshExpiresAt = sess.RefreshExpiry(now, s.settings.RefreshTokenTTL)
	rt := domain.RefreshToken{Hash: refresh.Hash(), SessionID: sess.ID, CreatedAt: now, ExpiresAt: sess.RefreshExpiresAt}
	if err := s.sessions.Create(ctx, sess, rt); err != nil {
		return ports.SessionTokens{}, err
	}
	return s.tokensFor(u, sess, refresh)
}

// tokensFor signs an access token for the session and packs the client's view.
func (s *SessionIssuer) tokensFor(u *domain.User, sess *domain.Session, refresh domain.Secret) (ports.SessionTokens, error) {
	now := s.clock.Now()
	claims := ports.AccessClaims{
		UserID:    u.ID,
		Email:     u.Email,
		Role:      u.Role,
		SessionID: sess.ID,
		IssuedAt:  now,
		ExpiresAt: now.Add(s.settings.AccessTokenTTL),
	}
	access, err := s.tokens.Issue(claims)
	if err != nil {
		return ports.SessionTokens{}, fmt.Errorf("session: sign access token: %w", err)
	}
	return ports.SessionTokens{
		IssuedAt:         now,
		SessionID:        sess.ID,
		AccessToken:      access,
		AccessExpiresAt:  claims.ExpiresAt,
		RefreshToken:     refresh,
		RefreshExpiresAt: sess.RefreshExpiresAt,
		User:             u,
	}, nil
}

// tokensAhead starts tokensFor for a copy of sess on a goroutine of its own and
// returns what waits for it, so that a caller can sign while it stores what the
// tokens depend on. The caller must wait, and must send the tokens only if that
// store succeeded: a token signed ahead is otherwise dropped, never sent.
func (s *SessionIssuer) tokensAhead(u *domain.User, sess domain.Session, refresh domain.Secret) func() (ports.SessionTokens, error) {
	type signed struct {
		tokens ports.SessionTokens
		err    error
	}
	done := make(chan signed, 1)
	go func() {
		t, err := s.tokensFor(u, &sess, refresh)
		done <- signed{t, err}
	}()
	return func() (ports.SessionTokens, error) {
		r := <-done
		return r.tokens, r.err
	}
}
