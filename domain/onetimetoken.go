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
	PurposeChangeEmail TokenPurpose = "change_email"
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
	// Payload is what the token carries besides its purpose: the new address
	// of an email change.
	Payload string
}

// Usable reports whether the token may still be redeemed at now.
func (t *OneTimeToken) Usable(now time.Time) bool {
	return t.UsedAt == nil && now.Before(t.ExpiresAt)
}

// Redeem spends the token at now; ErrTokenNotFound when it is used, voided or
// expired (stores apply the same rule in one conditional update).
func (t *OneTimeToken) Redeem(now time.Time) error {
	if !t.Usable(now) {
		return ErrTokenNotFound
	}
	t.UsedAt = &now
	return nil
}

// Burn voids the token at now, so that a newer one is the only one that
// works; a spent token stays as it is.
func (t *OneTimeToken) Burn(now time.Time) {
	if t.UsedAt == nil {
		t.UsedAt = &now
	}
}

// Try counts one guess of a code at now, unless the token can no longer be
// used or already had max; it reports whether the guess was counted.
func (t *OneTimeToken) Try(max int, now time.Time) bool {
	if !t.Usable(now) || t.Attempts >= max {
		return false
	}
	t.Attempts++
	return true
}
