package domain

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxPasswordLength bounds the work a single hash can cost (characters are code
// points of the normalised password).
const MaxPasswordLength = 128

// ServiceName is refused inside passwords because it is the first word an
// attacker who knows where the hashes came from will try.
const ServiceName = "authd"

// MinEmailLocalPartInPassword is the shortest email local part that passwords
// may not contain: a shorter one ("a" of a@example.com) would forbid nearly
// every password while protecting nothing.
const MinEmailLocalPartInPassword = 3

// PasswordText puts passwords into the forms the rules measure and compare;
// Unicode normalisation needs tables the standard library lacks, so an adapter
// provides it.
type PasswordText interface {
	// Normalize returns the form that is measured, hashed and verified (NFKC),
	// so canonically equivalent spellings are one password.
	Normalize(password string) string
	// Fold returns a caseless form of a normalised string, so comparisons
	// ignore case the way Unicode defines it.
	Fold(s string) string
}

// CommonPasswords is a list of the passwords attackers try first, kept behind
// an interface because the list and its Unicode matching live in an adapter.
type CommonPasswords interface {
	// Contains reports whether password is on the list, compared
	// case-insensitively after NFKC normalisation.
	Contains(password string) bool
}

// PasswordPolicy holds the contract's password rules: a length range, no
// composition rules, and no password that is common, is or contains the email
// (local part), or contains the service name.
type PasswordPolicy struct {
	MinLength int
	// Text normalises and folds passwords; nil compares them as given,
	// lower-cased, which is exact for ASCII.
	Text PasswordText
	// Common refuses passwords on a list of common ones; nil refuses none.
	Common CommonPasswords
}

// DefaultPasswordPolicy is the contract's default policy without the adapters
// that provide Unicode normalisation and the common-password list.
var DefaultPasswordPolicy = PasswordPolicy{MinLength: 8}

// Check returns nil when password is acceptable for the account with this email,
// otherwise a validation error naming field.
func (p PasswordPolicy) Check(field, password string, email Email) error {
	minLen := p.MinLength
	if minLen <= 0 {
		minLen = DefaultPasswordPolicy.MinLength
	}
	fail := func(msg string) error { return Validation(FieldError{field, msg}) }
	switch {
	case password == "":
		return fail("is required")
	case !utf8.ValidString(password):
		return fail("must be valid UTF-8")
	}
	norm := p.normalize(password)
	n := utf8.RuneCountInString(norm)
	switch {
	case n < minLen:
		return fail("must be at least " + strconv.Itoa(minLen) + " characters")
	case n > MaxPasswordLength:
		return fail("must be at most " + strconv.Itoa(MaxPasswordLength) + " characters")
	}
	folded := p.fold(norm)
	if !email.IsZero() {
		addr := p.fold(p.normalize(email.String()))
		local := addr[:max(strings.LastIndexByte(addr, '@'), 0)]
		switch {
		case strings.TrimSpace(folded) == addr:
			return fail("must not be the same as the email address")
		case utf8.RuneCountInString(local) >= MinEmailLocalPartInPassword && strings.Contains(folded, local):
			return fail("must not contain your email")
		}
	}
	if strings.Contains(folded, ServiceName) {
		return fail("must not contain the service name " + ServiceName)
	}
	if p.Common != nil && p.Common.Contains(strings.TrimSpace(norm)) {
		return fail("is too common")
	}
	return nil
}

func (p PasswordPolicy) normalize(s string) string {
	if p.Text == nil {
		return s
	}
	return p.Text.Normalize(s)
}

func (p PasswordPolicy) fold(s string) string {
	if p.Text == nil {
		return strings.ToLower(s)
	}
	return p.Text.Fold(s)
}

// CheckConfirm returns a validation error for confirmField when a confirmation was
// sent and differs from the password.
func CheckConfirm(confirmField string, password Secret, confirm *Secret) error {
	if confirm != nil && !password.Equal(*confirm) {
		return Validation(FieldError{confirmField, "does not match"})
	}
	return nil
}
