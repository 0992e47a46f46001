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
	LastLoginAt   *time.Time
	// MFAEnabled says that login needs a second factor since MFAEnabledAt.
	MFAEnabled   bool
	MFAEnabledAt *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Deactivated reports whether the account was closed (by its owner or an admin).
func (u *User) Deactivated() bool { return u.DeactivatedAt != nil }

// The state changes of an account. Each checks its preconditions and returns a
// domain error when they do not hold, so that a repository's update closure can
// call it on the fresh row and abort the transaction.

// Deactivate closes the account at now; ErrAccountDeactivated when it already is.
func (u *User) Deactivate(now time.Time) error {
	if u.Deactivated() {
		return ErrAccountDeactivated
	}
	u.DeactivatedAt, u.UpdatedAt = &now, now
	return nil
}

// Reactivate opens a closed account again at now; an active account stays as it is.
func (u *User) Reactivate(now time.Time) {
	if u.Deactivated() {
		u.DeactivatedAt, u.UpdatedAt = nil, now
	}
}

// VerifyEmail records that the owner proved control of the address;
// ErrAccountDeactivated for a closed account.
func (u *User) VerifyEmail(now time.Time) error {
	if u.Deactivated() {
		return ErrAccountDeactivated
	}
	if !u.EmailVerified {
		u.EmailVerified, u.UpdatedAt = true, now
	}
	return nil
}

// SetPassword stores a new password hash; ErrAccountDeactivated for a closed account.
func (u *User) SetPassword(hash string, now time.Time) error {
	if u.Deactivated() {
		return ErrAccountDeactivated
	}
	u.PasswordHash, u.UpdatedAt = hash, now
	return nil
}

// ResetPassword stores a new password after the owner proved control of the
// mailbox, which also verifies the address; ErrAccountDeactivated for a closed account.
func (u *User) ResetPassword(hash string, now time.Time) error {
	if err := u.SetPassword(hash, now); err != nil {
		return err
	}
	return u.VerifyEmail(now)
}

// UpgradeHash replaces the password hash with a stronger one of the same
// password, unless the password changed since old was read; it reports whether
// it did. It is no change of the account, so UpdatedAt stays.
func (u *User) UpgradeHash(old, stronger string) bool {
	if u.PasswordHash != old {
		return false
	}
	u.PasswordHash = stronger
	return true
}

// ChangeEmail replaces the address with one whose owner proved control of it
// (the confirmation link reached it), which makes it verified;
// ErrAccountDeactivated for a closed account.
func (u *User) ChangeEmail(e Email, now time.Time) error {
	if u.Deactivated() {
		return ErrAccountDeactivated
	}
	u.Email, u.EmailVerified, u.UpdatedAt = e, true, now
	return nil
}

// ChangeRole gives the account role r at now.
func (u *User) ChangeRole(r Role, now time.Time) {
	if u.Role != r {
		u.Role, u.UpdatedAt = r, now
	}
}

// UpdateProfile applies patch at now; a validation error naming every bad
// field changes nothing, and so does ErrAccountDeactivated for a closed account.
func (u *User) UpdateProfile(patch ProfilePatch, now time.Time) error {
	if u.Deactivated() {
		return ErrAccountDeactivated
	}
	return u.EditProfile(patch, now)
}

// EditProfile applies patch at now whatever the account's state (an admin's
// edit); a validation error naming every bad field changes nothing.
func (u *User) EditProfile(patch ProfilePatch, now time.Time) error {
	p, err := patch.Apply(u.Profile)
	if err != nil {
		return err
	}
	if p != u.Profile {
		u.Profile, u.UpdatedAt = p, now
	}
	return nil
}

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
