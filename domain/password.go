package domain

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxPasswordLength bounds the work a single hash can cost (characters are code points).
const MaxPasswordLength = 128

// PasswordPolicy holds the contract's password rules; only the minimum length is
// configurable, and there are deliberately no composition rules.
type PasswordPolicy struct {
	MinLength int
}

// DefaultPasswordPolicy is the contract's default policy.
var DefaultPasswordPolicy = PasswordPolicy{MinLength: 8}

// Check returns nil when password is acceptable for the account with this email,
// otherwise a validation error naming field.
func (p PasswordPolicy) Check(field, password string, email Email) error {
	minLen := p.MinLength
	if minLen <= 0 {
		minLen = DefaultPasswordPolicy.MinLength
	}
	n := utf8.RuneCountInString(password)
	switch {
	case password == "":
		return Validation(FieldError{field, "is required"})
	case !utf8.ValidString(password):
		return Validation(FieldError{field, "must be valid UTF-8"})
	case n < minLen:
		return Validation(FieldError{field, "must be at least " + strconv.Itoa(minLen) + " characters"})
	case n > MaxPasswordLength:
		return Validation(FieldError{field, "must be at most " + strconv.Itoa(MaxPasswordLength) + " characters"})
	case !email.IsZero() && strings.EqualFold(strings.TrimSpace(password), email.String()):
		return Validation(FieldError{field, "must not be the same as the email address"})
	}
	return nil
}

// CheckConfirm returns a validation error for confirmField when a confirmation was
// sent and differs from the password.
func CheckConfirm(confirmField string, password string, confirm *string) error {
	if confirm != nil && *confirm != password {
		return Validation(FieldError{confirmField, "does not match"})
	}
	return nil
}
