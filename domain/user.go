package domain

import (
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// UserID identifies a user (a UUID string, time-ordered).
type UserID string

// User is an account. PasswordHash is a PHC-style string from the PasswordHasher.
type User struct {
	ID            UserID
	Email         Email
	PasswordHash  string
	Profile       Profile
	Role          Role
	EmailVerified bool
	DeactivatedAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Deactivated reports whether the account was closed by its owner.
func (u *User) Deactivated() bool { return u.DeactivatedAt != nil }

// Profile holds the optional, user-editable details; an empty string means unset.
type Profile struct {
	FirstName    string
	LastName     string
	Phone        string
	Gender       string
	ProfileImage string
}

// ProfilePatch changes some profile fields: a nil pointer leaves a field alone, a
// pointer to "" clears it.
type ProfilePatch struct {
	FirstName    *string
	LastName     *string
	Phone        *string
	Gender       *string
	ProfileImage *string
}

// Apply returns p with the patch applied, or a validation error naming every bad field.
func (pp ProfilePatch) Apply(p Profile) (Profile, error) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&p.FirstName, pp.FirstName)
	set(&p.LastName, pp.LastName)
	set(&p.Phone, pp.Phone)
	set(&p.Gender, pp.Gender)
	set(&p.ProfileImage, pp.ProfileImage)
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// Validate checks every field against the contract and reports all offenders at once.
func (p Profile) Validate() error {
	var fe []FieldError
	if utf8.RuneCountInString(p.FirstName) > 100 {
		fe = append(fe, FieldError{"firstName", "must be at most 100 characters"})
	}
	if utf8.RuneCountInString(p.LastName) > 100 {
		fe = append(fe, FieldError{"lastName", "must be at most 100 characters"})
	}
	if p.Phone != "" && !isE164(p.Phone) {
		fe = append(fe, FieldError{"phone", "must be in E.164 format, e.g. +14155550100"})
	}
	if utf8.RuneCountInString(p.Gender) > 32 {
		fe = append(fe, FieldError{"gender", "must be at most 32 characters"})
	}
	if p.ProfileImage != "" && !isHTTPURL(p.ProfileImage) {
		fe = append(fe, FieldError{"profileImage", "must be an absolute http(s) URL of at most 2048 characters"})
	}
	for _, s := range []struct{ field, v string }{{"firstName", p.FirstName}, {"lastName", p.LastName}, {"gender", p.Gender}} {
		if hasControl(s.v) {
			fe = append(fe, FieldError{s.field, "must not contain control characters"})
		}
	}
	return Validation(fe...)
}

func isE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isHTTPURL(s string) bool {
	if len(s) > 2048 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !hasControl(s) && !strings.ContainsAny(s, " ")
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || !utf8.ValidRune(r) {
			return true
		}
	}
	return !utf8.ValidString(s)
}
