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
