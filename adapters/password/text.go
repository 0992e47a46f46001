package password

import (
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"authd/domain"
)

// Text gives the domain's password rules Unicode: NFKC, so that NFC, NFD and
// compatibility spellings (fullwidth letters, ligatures) are one password, and
// full case folding, so that comparisons ignore case as Unicode defines it.
type Text struct{}

var _ domain.PasswordText = Text{}

// Normalize returns the NFKC form, the one that is measured, hashed and verified.
func (Text) Normalize(password string) string { return norm.NFKC.String(password) }

// Fold returns the caseless form of s (NFKC after full case folding, so that
// "ß", "ẞ" and "SS" compare equal and the result is itself normalised).
func (Text) Fold(s string) string {
	// A Caser keeps state, so each call takes its own.
	return norm.NFKC.String(cases.Fold().String(s))
}

// canonical is the form of a password that the common-password list compares.
func canonical(s string) string { return Text{}.Fold(Text{}.Normalize(s)) }
