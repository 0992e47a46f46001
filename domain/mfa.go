package domain

import (
	"log/slog"
	"strings"
	"time"
)

// The parameters of multi-factor sign-in fixed by the contract.
const (
	// TOTPPeriod is the length of one time step of a TOTP code (RFC 6238).
	TOTPPeriod = 30 * time.Second
	// TOTPDigits is how many digits a TOTP code has.
	TOTPDigits = 6
	// TOTPSecretBytes is the size of a TOTP secret (160 bits, RFC 4226's recommendation).
	TOTPSecretBytes = 20
	// RecoveryCodeCount is how many recovery codes one set holds.
	RecoveryCodeCount = 10
	// MFATokenTTL is how long the token between the password and the code step lives.
	MFATokenTTL = 5 * time.Minute
	// MFATokenMaxTries is how many codes one MFA token may be tried with.
	MFATokenMaxTries = 5
)

// PurposeMFALogin is the token a correct password hands out when the account
// needs a second factor; it is spent by the code step of the login.
const PurposeMFALogin TokenPurpose = "mfa_login"

// The security events of multi-factor sign-in.
const (
	EventMFAEnabled                  EventType = "mfa_enabled"
	EventMFADisabled                 EventType = "mfa_disabled"
	EventMFARecoveryCodesRegenerated EventType = "mfa_recovery_codes_regenerated"
	EventMFARecoveryCodeUsed         EventType = "mfa_recovery_code_used"
	EventMFAReset                    EventType = "mfa_reset"
)

// The errors of multi-factor sign-in.
var (
	// ErrInvalidMFAToken answers an unknown, used, expired or voided MFA login token.
	ErrInvalidMFAToken = &Error{Kind: Unauthenticated, Code: "invalid_mfa_token", Message: "invalid or expired MFA token"}
	// ErrInvalidLoginCode is invalid_code at the code step of a login, where it
	// is a failed sign-in (401) rather than a bad field (400).
	ErrInvalidLoginCode = &Error{Kind: Unauthenticated, Code: "invalid_code", Message: "invalid code"}
	// ErrMFAEnabled refuses to start an enrolment while multi-factor sign-in is on.
	ErrMFAEnabled = &Error{Kind: Conflict, Code: "conflict", Message: "multi-factor sign-in is already on; switch it off first"}
	// ErrMFANotEnabled refuses what needs multi-factor sign-in on.
	ErrMFANotEnabled = &Error{Kind: Conflict, Code: "conflict", Message: "multi-factor sign-in is not on"}
	// ErrTOTPNotFound is what a store says of an account without an enrolment.
	ErrTOTPNotFound = &Error{Kind: NotFound, Code: "totp_not_found", Message: "no TOTP enrolment"}
)

// SealedSecret is the stored form of a secret (ports.Sealer: encrypted when a
// key is configured). It redacts itself when printed, since without a key it
// holds the secret in clear.
type SealedSecret []byte

// String redacts.
func (s SealedSecret) String() string { return redacted }

// GoString redacts for %#v.
func (s SealedSecret) GoString() string { return redacted }

// LogValue redacts for log/slog.
func (s SealedSecret) LogValue() slog.Value { return slog.StringValue(redacted) }

// TOTPEnrolment is an account's authenticator app: the confirmed secret that
// signs in, a pending one waiting for its first code, and the last time step
// accepted, so that no code is ever accepted twice.
type TOTPEnrolment struct {
	UserID      UserID
	Secret      SealedSecret // the confirmed secret; nil while off
	Pending     SealedSecret // the enrolment waiting for confirmation; nil when none
	PendingAt   *time.Time
	ConfirmedAt *time.Time
	// LastStep is the latest time step accepted; codes of it or earlier steps are refused.
	LastStep  int64
	UpdatedAt time.Time
}

// Active reports whether the enrolment signs in.
func (e *TOTPEnrolment) Active() bool { return e.Secret != nil && e.ConfirmedAt != nil }

// Start records a new pending secret, replacing one not yet confirmed;
// ErrMFAEnabled when a confirmed secret is in use.
func (e *TOTPEnrolment) Start(pending SealedSecret, now time.Time) error {
	if e.Active() {
		return ErrMFAEnabled
	}
	e.Pending, e.PendingAt, e.UpdatedAt = pending, &now, now
	return nil
}

// Confirm makes the pending secret the one that signs in, its first code
// having been of step; ErrInvalidCode when nothing is pending, ErrMFAEnabled
// when a confirmed secret is in use.
func (e *TOTPEnrolment) Confirm(step int64, now time.Time) error {
	if e.Active() {
		return ErrMFAEnabled
	}
	if e.Pending == nil {
		return ErrInvalidCode
	}
	e.Secret, e.Pending, e.PendingAt = e.Pending, nil, nil
	e.ConfirmedAt, e.UpdatedAt = &now, now
	if step > e.LastStep {
		e.LastStep = step
	}
	return nil
}

// Accept spends the code of step: ErrInvalidCode when the enrolment is not
// active or the step is not later than the last one accepted (a replay).
// Stores apply the same rule in one conditional update.
func (e *TOTPEnrolment) Accept(step int64, now time.Time) error {
	if !e.Active() || step <= e.LastStep {
		return ErrInvalidCode
	}
	e.LastStep, e.UpdatedAt = step, now
	return nil
}

// Disable forgets both secrets; ErrMFANotEnabled when none is confirmed. The
// last step stays, so a code seen before is still refused after re-enrolment.
func (e *TOTPEnrolment) Disable(now time.Time) error {
	if !e.Active() {
		return ErrMFANotEnabled
	}
	e.Secret, e.Pending, e.PendingAt, e.ConfirmedAt, e.UpdatedAt = nil, nil, nil, nil, now
	return nil
}

// RecoveryCode is the stored form of one single-use recovery code: only its
// keyed hash.
type RecoveryCode struct {
	ID        string
	UserID    UserID
	Hash      []byte
	CreatedAt time.Time
	UsedAt    *time.Time
}

// NormaliseRecoveryCode is the form a recovery code is hashed in: lower case,
// without the spaces and hyphens people type or copy with it.
func NormaliseRecoveryCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// EnableMFA records that the account signs in with a second factor from now;
// ErrAccountDeactivated for a closed account.
func (u *User) EnableMFA(now time.Time) error {
	if u.Deactivated() {
		return ErrAccountDeactivated
	}
	u.MFAEnabled, u.MFAEnabledAt, u.UpdatedAt = true, &now, now
	return nil
}

// DisableMFA records that the account signs in with its password alone again.
func (u *User) DisableMFA(now time.Time) {
	if u.MFAEnabled || u.MFAEnabledAt != nil {
		u.MFAEnabled, u.MFAEnabledAt, u.UpdatedAt = false, nil, now
	}
}
