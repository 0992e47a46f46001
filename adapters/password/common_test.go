package password

import (
	"errors"
	"strings"
	"testing"

	"authd/domain"
)

func TestCommonPasswordList(t *testing.T) {
	t.Parallel()
	t.Run("the embedded file is SecLists' list of 10,000 passwords, CRLF lines", func(t *testing.T) {
		if n := strings.Count(commonList, "\r\n"); n != 10000 || strings.Count(commonList, "\n") != n || len(commonList) != 83017 {
			t.Fatalf("%d CRLF lines, %d bytes", n, len(commonList))
		}
		if !strings.HasPrefix(commonList, "password\r\n123456\r\n") || !strings.HasSuffix(commonList, "\r\neyphed\r\n") {
			t.Fatal("not the list from data/README.md")
		}
	})
	t.Run("every entry is in force, without line endings", func(t *testing.T) {
		l := CommonPasswords()
		if l.Len() != 10000 {
			t.Fatalf("%d distinct entries, want 10000", l.Len())
		}
		if l.Contains("eyphed\r") || !l.Contains("eyphed") {
			t.Fatal("line endings leak into the entries")
		}
		if CommonPasswords() != l {
			t.Fatal("the list is parsed again on every call")
		}
	})
	t.Run("another list in the same format can be parsed", func(t *testing.T) {
		l := parseCommonList("Alpha\nbeta\r\n\ngamma")
		if l.Len() != 3 || !l.Contains("ALPHA") || !l.Contains("gamma") || l.Contains("") {
			t.Fatalf("parsed %d entries", l.Len())
		}
	})

	l := CommonPasswords()
	tests := []struct {
		name, pw string
		common   bool
	}{
		{"the most common password", "password", true},
		{"the last entry", "eyphed", true},
		{"a common password in capitals", "PASSWORD1", true},
		{"a common password in mixed case", "PassWord1", true},
		{"a common password in fullwidth letters", "ｐａｓｓｗｏｒｄ１", true},
		{"a common password in fullwidth capitals", "ＱＷＥＲＴＹ", true},
		{"a common password with a ligature", "ﬁsh", true},
		{"a common password with a mathematical bold letter", "𝐢loveyou", true},
		{"a common password with ß for ss (full case folding)", "paßword", true},
		{"a common password with something added", "password1!x", false},
		{"an unusual phrase", "violet tractor umbrella", false},
		{"the empty string", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is common: "+map[bool]string{true: "yes", false: "no"}[tt.common], func(t *testing.T) {
			t.Parallel()
			if got := l.Contains(tt.pw); got != tt.common {
				t.Fatalf("Contains(%q) = %v", tt.pw, got)
			}
		})
	}
}

func TestPolicyWithUnicode(t *testing.T) {
	t.Parallel()
	policy := domain.PasswordPolicy{MinLength: 8, Text: Text{}, Common: CommonPasswords()}
	jane := domain.MustEmail("jane.doe@example.com")
	strasse := domain.MustEmail("strasse@example.com")
	tests := []struct {
		name, pw string
		email    domain.Email
		msg      string // "" when accepted
	}{
		{"a common password", "password1", jane, "is too common"},
		{"a common password in mixed case", "PassWord1", jane, "is too common"},
		{"a common password in fullwidth letters", "ｐａｓｓｗｏｒｄ１", jane, "is too common"},
		{"a common password of eight fullwidth digits", "１２３４５６７８", jane, "is too common"},
		{"the email local part", "i am jane.doe", jane, "must not contain your email"},
		{"the email local part in fullwidth capitals", "ＪＡＮＥ.ＤＯＥ 2024", jane, "must not contain your email"},
		{"the email local part with a capital sharp s", "STRAẞE-99-horses", strasse, "must not contain your email"},
		{"the service name", "love authd forever", jane, "must not contain the service name authd"},
		{"the service name in mixed case", "AuthD is great 4", jane, "must not contain the service name authd"},
		{"the service name in fullwidth", "ａｕｔｈｄ-staple-42", jane, "must not contain the service name authd"},
		{"a fine password", "violet tractor umbrella", jane, ""},
		{"a fine password with accents", "crème brûlée au café", jane, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+map[bool]string{true: " is accepted", false: " is refused"}[tt.msg == ""], func(t *testing.T) {
			t.Parallel()
			err := policy.Check("password", tt.pw, tt.email)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || len(de.Fields) != 1 || de.Fields[0] != (domain.FieldError{Field: "password", Message: tt.msg}) {
				t.Fatalf("got %v, want %q", err, tt.msg)
			}
		})
	}
	t.Run("length counts the code points of the NFKC form", func(t *testing.T) {
		t.Parallel()
		// 100 "é" spelled e + U+0301: 200 code points as sent, 100 once normalised.
		if err := policy.Check("password", strings.Repeat("e\u0301", 100), jane); err != nil {
			t.Fatalf("refused: %v", err)
		}
		// "㎏" is one code point that NFKC spells "kg": 5 of them are 10 characters.
		if err := policy.Check("password", strings.Repeat("㎏", 5), jane); err != nil {
			t.Fatalf("refused: %v", err)
		}
	})
}

func TestText(t *testing.T) {
	t.Parallel()
	tx := Text{}
	if got := tx.Normalize("cafe\u0301"); got != "café" {
		t.Errorf("Normalize(NFD) = %q", got)
	}
	if got := tx.Normalize("ｃａｆé"); got != "café" {
		t.Errorf("Normalize(fullwidth) = %q", got)
	}
	if got := tx.Fold("STRAẞE"); got != "strasse" {
		t.Errorf("Fold = %q", got)
	}
}
