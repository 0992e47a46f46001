package domain

import (
	"net/mail"
	"strings"
)

// MaxEmailLength is the longest address the contract accepts (RFC 5321 path limit).
const MaxEmailLength = 254

// Email is a parsed, normalised address; the zero value is not a valid email.
type Email struct{ v string }

// ParseEmail trims and lower-cases s and accepts it only if it is a bare address
// with a domain, so that lookups and uniqueness never depend on spelling.
func ParseEmail(s string) (Email, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		return Email{}, Validation(FieldError{"email", "is required"})
	case len(s) > MaxEmailLength:
		return Email{}, Validation(FieldError{"email", "must be at most 254 characters"})
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return Email{}, Validation(FieldError{"email", "must be a valid email address"})
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if at <= 0 || domain == "" || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") || strings.ContainsAny(s, " \t\r\n<>()[],;:\\\"") {
		return Email{}, Validation(FieldError{"email", "must be a valid email address"})
	}
	return Email{v: s}, nil
}

// MustEmail parses s and panics on error; for tests and constants only.
func MustEmail(s string) Email {
	e, err := ParseEmail(s)
	if err != nil {
		panic(err)
	}
	return e
}

// String returns the normalised address.
func (e Email) String() string { return e.v }

// IsZero reports whether e was never parsed.
func (e Email) IsZero() bool { return e.v == "" }

// EmailFromDatabase rebuilds an address a store kept. It was valid when it was
// stored, so it is trusted as it is: a rule tightened later must never make an
// existing account unreadable.
func EmailFromDatabase(s string) Email { return Email{v: s} }
