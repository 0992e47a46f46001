package domain

import (
	"errors"
	"strings"
	"testing"
)

// composeText stands in for the NFKC adapter: it composes "e" + U+0301 into
// "é" and folds with strings.ToLower, enough to show which form each rule sees.
type composeText struct{}

func (composeText) Normalize(s string) string { return strings.ReplaceAll(s, "e\u0301", "é") }
func (composeText) Fold(s string) string      { return strings.ToLower(s) }

// listOf is a common-password list that records what it was asked.
type listOf struct {
	words map[string]bool
	asked *[]string
}

func (l listOf) Contains(pw string) bool {
	*l.asked = append(*l.asked, pw)
	return l.words[strings.ToLower(pw)]
}

func TestPasswordPolicyAddedRules(t *testing.T) {
	t.Parallel()
	var asked []string
	policy := PasswordPolicy{MinLength: 8, Text: composeText{},
		Common: listOf{words: map[string]bool{"password1": true, "sunshine": true, "café1234": true}, asked: &asked}}
	jane := MustEmail("jane.doe@example.com")
	cases := []struct {
		name, pw string
		email    Email
		msg      string // "" when accepted
	}{
		{"refuses a common password", "password1", jane, "is too common"},
		{"refuses a common password in another case", "PassWord1", jane, "is too common"},
		{"refuses a common password with surrounding spaces", " sunshine ", jane, "is too common"},
		{"refuses a common password spelled decomposed", "cafe\u03011234", jane, "is too common"},
		{"refuses the email local part inside the password", "xx-jane.doe-2024", jane, "must not contain your email"},
		{"refuses the email local part in capitals", "JANE.DOE rules!", jane, "must not contain your email"},
		{"refuses the whole email as before", " Jane.Doe@Example.com ", jane, "must not be the same as the email address"},
		{"refuses the service name", "my authd password", jane, "must not contain the service name authd"},
		{"refuses the service name in mixed case", "AuthD-rocks-2024", jane, "must not contain the service name authd"},
		{"refuses the service name without an email", "theAUTHDway", Email{}, "must not contain the service name authd"},
		{"accepts a password that holds only part of the local part", "jan.doe is fine", jane, ""},
		{"ignores a local part shorter than three characters", "a long abacus", MustEmail("ab@example.com"), ""},
		{"looks for a local part of exactly three characters", "xbobx-horse-staple", MustEmail("bob@example.com"), "must not contain your email"},
		{"accepts a long unusual password", "violet tractor umbrella", jane, ""},
		{"accepts a password that merely resembles a common one", "password1 staple", jane, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := policy.Check("newPassword", tc.pw, tc.email)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var de *Error
			if !errors.As(err, &de) || !errors.Is(err, ErrValidation) || len(de.Fields) != 1 ||
				de.Fields[0] != (FieldError{"newPassword", tc.msg}) {
				t.Fatalf("got %#v, want newPassword %q", err, tc.msg)
			}
		})
	}

	t.Run("the list is asked about the normalised password", func(t *testing.T) {
		asked = nil
		if err := policy.Check("password", "cre\u0301me bru\u0302le\u0301e", jane); err != nil {
			t.Fatal(err)
		}
		if len(asked) != 1 || asked[0] != "créme bru\u0302lée" {
			t.Fatalf("asked %q", asked)
		}
	})
	t.Run("length counts code points of the normalised password", func(t *testing.T) {
		decomposed := strings.Repeat("e\u0301", 100) // 200 code points, 100 once composed
		if err := policy.Check("password", decomposed, jane); err != nil {
			t.Fatalf("refused: %v", err)
		}
		if err := (PasswordPolicy{MinLength: 8}).Check("password", decomposed, jane); err == nil {
			t.Fatal("without normalisation 200 code points must be too long")
		}
		if err := policy.Check("password", strings.Repeat("e\u0301", 7), jane); err == nil {
			t.Fatal("7 composed characters must be too short")
		}
	})
	t.Run("without adapters the rules still refuse the service name and the email", func(t *testing.T) {
		for _, pw := range []string{"AUTHD-1234", "hello jane.doe"} {
			if err := DefaultPasswordPolicy.Check("password", pw, jane); err == nil {
				t.Errorf("%q accepted", pw)
			}
		}
	})
}
