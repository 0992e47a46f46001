package ports

import (
	"context"
	"time"

	"authd/domain"
)

// TOTPRepository stores the accounts' authenticator enrolments.
type TOTPRepository interface {
	// ByUser returns domain.ErrTOTPNotFound when the account has none.
	ByUser(ctx context.Context, userID domain.UserID) (*domain.TOTPEnrolment, error)
	// Update loads the account's enrolment (an empty one when it has none),
	// lets fn change it and saves it in one transaction; fn's error aborts and
	// is returned as is.
	Update(ctx context.Context, userID domain.UserID, fn func(*domain.TOTPEnrolment) error) error
	// UseStep accepts the code of step for an active enrolment in one
	// conditional update (the last step accepted must be earlier), so that of
	// two instances judging one code only one accepts it; it reports whether it did.
	UseStep(ctx context.Context, userID domain.UserID, step int64, now time.Time) (bool, error)
}

// RecoveryCodeRepository stores the hashes of the accounts' recovery codes.
type RecoveryCodeRepository interface {
	// Replace drops the account's codes and stores set in their place.
	Replace(ctx context.Context, userID domain.UserID, set []domain.RecoveryCode) error
	// Use spends the account's unused code with hash at now in one conditional
	// update; it reports whether it did (false for unknown or used codes).
	Use(ctx context.Context, userID domain.UserID, hash []byte, now time.Time) (bool, error)
	// CountUnused counts the account's codes not yet used.
	CountUnused(ctx context.Context, userID domain.UserID) (int, error)
	// DeleteAll drops every code of the account.
	DeleteAll(ctx context.Context, userID domain.UserID) error
}

// TOTPCodes computes time-based one-time passwords (RFC 6238: SHA-1, 6
// digits, 30 s steps).
type TOTPCodes interface {
	// Match returns the time step, among the previous, current and next step
	// at now, whose code is code; ok is false when none is. Codes are compared
	// in constant time.
	Match(secret, code domain.Secret, now time.Time) (step int64, ok bool)
}

// MFAEnrolment is what starting an enrolment hands to its owner, once.
type MFAEnrolment struct {
	Secret     domain.Secret
	OTPAuthURI domain.Secret
}

// MFAChallenge is what a correct password yields when the account needs a
// second factor: a token for the code step, and the factors it accepts.
type MFAChallenge struct {
	Token   domain.Secret
	Methods []string
}

// MFALoginInput is the code step of a login: the token and one of a code or
// a recovery code.
type MFALoginInput struct {
	Token        domain.Secret
	Code         domain.Secret
	RecoveryCode domain.Secret
	Client       Client
}

// MFA lets users switch multi-factor sign-in on and off and manage their
// recovery codes.
type MFA interface {
	// StartTOTP begins (or restarts) an enrolment: a new secret that is not yet
	// active. Errors: invalid_current_password, conflict (already on).
	StartTOTP(ctx context.Context, p Principal, password domain.Secret) (MFAEnrolment, error)
	// ConfirmTOTP activates the pending secret with its first code and returns
	// the recovery codes, shown this once. Errors: invalid_code, conflict.
	ConfirmTOTP(ctx context.Context, p Principal, code domain.Secret) ([]domain.Secret, error)
	// DisableTOTP switches multi-factor sign-in off. Errors:
	// invalid_current_password, invalid_code, conflict (not on).
	DisableTOTP(ctx context.Context, p Principal, password, code domain.Secret) error
	// RegenerateRecoveryCodes replaces the recovery codes. Errors:
	// invalid_current_password, conflict (not on).
	RegenerateRecoveryCodes(ctx context.Context, p Principal, password domain.Secret) ([]domain.Secret, error)
}

// MFALogin is the code step of a login.
type MFALogin interface {
	// LoginMFA redeems the MFA token with a code or a recovery code and starts
	// the session as login does. Errors: validation_failed, invalid_mfa_token,
	// invalid_code (401), rate_limited.
	LoginMFA(ctx context.Context, in MFALoginInput) (SessionTokens, error)
}

// MFAAdministration lets admins switch a user's multi-factor sign-in off.
type MFAAdministration interface {
	// ResetMFA switches the account's MFA off (event mfa_reset with the caller
	// as actor). Errors: forbidden, not_found.
	ResetMFA(ctx context.Context, p Principal, id domain.UserID) error
}
