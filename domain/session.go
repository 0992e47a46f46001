package domain

import "time"

// SessionID identifies a login session; it is the `sid` claim of every access token
// issued for the session and the unit of revocation.
type SessionID string

// Session is one login on one device. It lives until it is revoked, its current
// refresh token expires, or its absolute limit (ExpiresAt) passes, whichever is first.
type Session struct {
	ID               SessionID
	UserID           UserID
	CreatedAt        time.Time
	LastUsedAt       time.Time
	ExpiresAt        time.Time // absolute limit: login + AUTH_SESSION_MAX_AGE
	RefreshExpiresAt time.Time // expiry of the newest refresh token (sliding, capped by ExpiresAt)
	RevokedAt        *time.Time
	UserAgent        string
	IP               string
}

// Live reports whether the session may still be used at now.
func (s *Session) Live(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt) && now.Before(s.RefreshExpiresAt)
}

// RefreshExpiry is the expiry of a refresh token issued at now: the sliding
// lifetime ttl, never past the session's absolute limit.
func (s *Session) RefreshExpiry(now time.Time, ttl time.Duration) time.Time {
	exp := now.Add(ttl)
	if exp.After(s.ExpiresAt) {
		exp = s.ExpiresAt
	}
	return exp
}

// JudgeRefresh decides what a presented refresh token t of this session is
// worth at now: nil when it may be rotated; ErrRefreshTokenRotated when it was
// spent less than grace ago (two tabs racing: the session lives);
// ErrRefreshTokenReused when it was spent earlier (a replay: the caller must
// revoke the session); ErrInvalidRefreshToken when the session is revoked or
// over, or the token expired.
func (s *Session) JudgeRefresh(t *RefreshToken, now time.Time, grace time.Duration) error {
	switch {
	case s.RevokedAt != nil:
		return ErrInvalidRefreshToken
	case t.RotatedAt != nil && now.Sub(*t.RotatedAt) < grace:
		return ErrRefreshTokenRotated
	case t.RotatedAt != nil:
		return ErrRefreshTokenReused
	case !s.Live(now) || !now.Before(t.ExpiresAt):
		return ErrInvalidRefreshToken
	}
	return nil
}

// RefreshToken is the stored form of one refresh token of a session: only its hash.
// RotatedAt is set when it was exchanged for a newer token; presenting it again after
// the reuse grace is reuse.
type RefreshToken struct {
	Hash      []byte
	SessionID SessionID
	CreatedAt time.Time
	ExpiresAt time.Time
	RotatedAt *time.Time
}

// Revocation is a revoked session as the denylist needs it: until AccessUntil, access
// tokens of the session may still be unexpired and must be refused.
type Revocation struct {
	SessionID   SessionID
	AccessUntil time.Time
}
