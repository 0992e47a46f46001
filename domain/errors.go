package domain

import (
	"errors"
	"strconv"
	"time"
)

// Kind is the transport-neutral class of an error; the HTTP adapter maps each kind
// to one status code.
type Kind int

// The kinds of error the core distinguishes.
const (
	Internal Kind = iota
	Invalid
	Unauthenticated
	Forbidden
	NotFound
	Conflict
	RateLimited
	Unavailable
)

// FieldError names one offending input field so clients can show it next to the field.
type FieldError struct {
	Field   string
	Message string
}

// Error is the one error type that crosses the core's boundary: Code is the stable
// machine-readable identifier of the contract, Message a human sentence.
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	Fields     []FieldError
	RetryAfter time.Duration
}

// Error returns the human message.
func (e *Error) Error() string { return e.Message }

// Is makes errors.Is match any *Error with the same code, so a sentinel matches
// errors built from it with extra detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinel errors, one per code of the contract that the core produces.
var (
	ErrValidation               = &Error{Kind: Invalid, Code: "validation_failed", Message: "invalid input"}
	ErrEmailTaken               = &Error{Kind: Conflict, Code: "email_taken", Message: "email is already registered"}
	ErrInvalidCredentials       = &Error{Kind: Unauthenticated, Code: "invalid_credentials", Message: "invalid email or password"}
	ErrInvalidCurrentPassword   = &Error{Kind: Forbidden, Code: "invalid_current_password", Message: "current password is incorrect"}
	ErrEmailNotVerified         = &Error{Kind: Forbidden, Code: "email_not_verified", Message: "email address not verified"}
	ErrAccountDeactivated       = &Error{Kind: Forbidden, Code: "account_deactivated", Message: "account is deactivated"}
	ErrUnauthenticated          = &Error{Kind: Unauthenticated, Code: "unauthenticated", Message: "authentication required"}
	ErrInvalidToken             = &Error{Kind: Unauthenticated, Code: "invalid_token", Message: "invalid or expired access token"}
	ErrTokenRevoked             = &Error{Kind: Unauthenticated, Code: "token_revoked", Message: "access token has been revoked"}
	ErrInvalidRefreshToken      = &Error{Kind: Unauthenticated, Code: "invalid_refresh_token", Message: "invalid or expired refresh token"}
	ErrRefreshTokenReused       = &Error{Kind: Unauthenticated, Code: "refresh_token_reused", Message: "refresh token was already used; the session has been revoked"}
	ErrRefreshTokenRotated      = &Error{Kind: Conflict, Code: "refresh_token_rotated", Message: "refresh token was just rotated; retry with the newest token"}
	ErrInvalidVerificationToken = &Error{Kind: Invalid, Code: "invalid_verification_token", Message: "invalid or expired verification token"}
	ErrInvalidResetToken        = &Error{Kind: Invalid, Code: "invalid_reset_token", Message: "invalid or expired reset token"}
	ErrInvalidCode              = &Error{Kind: Invalid, Code: "invalid_code", Message: "invalid or expired code"}
	ErrCSRFRejected             = &Error{Kind: Forbidden, Code: "csrf_rejected", Message: "cross-site request rejected"}
	ErrRateLimited              = &Error{Kind: RateLimited, Code: "rate_limited", Message: "too many attempts; try again later"}
	ErrUnavailable              = &Error{Kind: Unavailable, Code: "dependency_unavailable", Message: "a dependency is unavailable; try again later"}
	ErrInternal                 = &Error{Kind: Internal, Code: "internal", Message: "internal error"}
	ErrForbidden                = &Error{Kind: Forbidden, Code: "forbidden", Message: "not allowed for this account"}
	ErrConflict                 = &Error{Kind: Conflict, Code: "conflict", Message: "the change would break an invariant"}
	ErrNotFound                 = &Error{Kind: NotFound, Code: "not_found", Message: "not found"}

	// Not-found errors of the stores. They never reach a client as such: the use
	// cases collapse them into the errors above, except ErrSessionNotFound, which
	// answers a request for somebody else's session.
	ErrUserNotFound    = &Error{Kind: NotFound, Code: "user_not_found", Message: "user not found"}
	ErrSessionNotFound = &Error{Kind: NotFound, Code: "not_found", Message: "session not found"}
	ErrTokenNotFound   = &Error{Kind: NotFound, Code: "token_not_found", Message: "token not found"}
)

// Validation builds a validation_failed error from field errors; its message is
// the first field's, prefixed with the field name.
func Validation(fields ...FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	msg := fields[0].Field + " " + fields[0].Message
	if len(fields) > 1 {
		msg += " (and " + strconv.Itoa(len(fields)-1) + " more)"
	}
	return &Error{Kind: Invalid, Code: ErrValidation.Code, Message: msg, Fields: fields}
}

// WrapUnavailable wraps a dependency failure so the transport answers 503 while the
// cause stays available to logs through errors.Unwrap.
func WrapUnavailable(cause error) error {
	return &wrapped{sentinel: ErrUnavailable, cause: cause}
}

// wrapped couples a sentinel with the technical cause that produced it.
type wrapped struct {
	sentinel *Error
	cause    error
}

func (w *wrapped) Error() string   { return w.sentinel.Message + ": " + w.cause.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.sentinel, w.cause} }

// AsError returns the coded error inside err, or ErrInternal when err carries none.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternal
}
