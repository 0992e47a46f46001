package domain

import "time"

// TokenPurpose says what a one-time token proves; a token of one purpose never
// passes for another.
type TokenPurpose string

// The purposes of one-time tokens.
const (
	PurposeVerifyEmail TokenPurpose = "verify_email"
	PurposeResetLink   TokenPurpose = "reset_link"
	PurposeResetOTP    TokenPurpose = "reset_otp"
)

// OneTimeToken is the stored form of an emailed secret: only its hash (SHA-256 for
// random tokens, an HMAC for short codes), single use, with a lifetime and a
// count of wrong attempts (for codes).
type OneTimeToken struct {
	ID        string
	Hash      []byte
	Purpose   TokenPurpose
	UserID    UserID
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	Attempts  int
}

// Usable reports whether the token may still be redeemed at now.
func (t *OneTimeToken) Usable(now time.Time) bool {
	return t.UsedAt == nil && now.Before(t.ExpiresAt)
}
