package domain

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestParseEmail(t *testing.T) {
	t.Parallel()
	valid := map[string]string{
		"jane@example.com":          "jane@example.com",
		"  Jane.Doe@Example.COM \n": "jane.doe@example.com",
		"a+tag@sub.example.co.uk":   "a+tag@sub.example.co.uk",
	}
	for in, want := range valid {
		t.Run("accepts and normalises "+strings.TrimSpace(in), func(t *testing.T) {
			e, err := ParseEmail(in)
			if err != nil || e.String() != want {
				t.Fatalf("got %q, %v", e, err)
			}
		})
	}
	invalid := []string{"", "jane", "jane@", "@example.com", "Jane <jane@example.com>", "jane@example..com", "jane@.example.com",
		"jane@example.com.", "ja ne@example.com", "jane@exa\nmple.com", strings.Repeat("a", 250) + "@example.com", "a@b@example.com"}
	for _, in := range invalid {
		t.Run(fmt.Sprintf("refuses %.30q", in), func(t *testing.T) {
			_, err := ParseEmail(in)
			var de *Error
			if !errors.As(err, &de) || de.Code != "validation_failed" || de.Fields[0].Field != "email" {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	email := MustEmail("jane@example.com")
	cases := []struct {
		name, pw string
		min      int
		ok       bool
	}{
		{"accepts eight characters", "12345678", 8, true},
		{"refuses seven characters", "1234567", 8, false},
		{"counts code points, not bytes", "éééééééé", 8, true},
		{"refuses an empty password", "", 8, false},
		{"accepts 128 characters", strings.Repeat("x", 128), 8, true},
		{"refuses 129 characters", strings.Repeat("x", 129), 8, false},
		{"honours a configured minimum", "123456789", 10, false},
		{"refuses the email as password in any case", "JANE@example.com", 8, false},
		{"has no composition rules", "aaaaaaaa", 8, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := PasswordPolicy{MinLength: tc.min}.Check("password", tc.pw, email)
			if (err == nil) != tc.ok {
				t.Fatalf("got %v", err)
			}
			if err != nil && !errors.Is(err, ErrValidation) {
				t.Fatalf("not a validation error: %v", err)
			}
		})
	}
	t.Run("a confirmation must match only when sent", func(t *testing.T) {
		other, same := Secret("x"), Secret("pw")
		if CheckConfirm("c", "pw", nil) != nil || CheckConfirm("c", "pw", &same) != nil || CheckConfirm("c", "pw", &other) == nil {
			t.Fatal("wrong confirmation rule")
		}
	})
}

func TestRolePolicy(t *testing.T) {
	t.Parallel()
	p := DefaultRolePolicy
	for in, want := range map[string]Role{"": "customer", "Retailer": "retailer", " CUSTOMER ": "customer"} {
		if got, err := p.Resolve(in); err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"admin", "Admin", "superuser"} {
		if _, err := p.Resolve(in); !errors.Is(err, ErrValidation) {
			t.Errorf("Resolve(%q) accepted", in)
		}
	}
}

func TestProfile(t *testing.T) {
	t.Parallel()
	s := func(v string) *string { return &v }
	t.Run("accepts a full valid profile", func(t *testing.T) {
		_, err := ProfilePatch{FirstName: s("Jane"), LastName: s("Doe"), Phone: s("+14155550100"), Gender: s("female"),
			ProfileImage: s("https://cdn.example.com/a.png")}.Apply(Profile{})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("names every invalid field", func(t *testing.T) {
		_, err := ProfilePatch{FirstName: s(strings.Repeat("x", 101)), Phone: s("+0123"), Gender: s(strings.Repeat("g", 33)),
			ProfileImage: s("ftp://example.com/a")}.Apply(Profile{})
		var de *Error
		if !errors.As(err, &de) || len(de.Fields) != 4 {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("clears with an empty string and leaves absent fields alone", func(t *testing.T) {
		p, err := ProfilePatch{FirstName: s("")}.Apply(Profile{FirstName: "Jane", LastName: "Doe"})
		if err != nil || p != (Profile{LastName: "Doe"}) {
			t.Fatalf("got %+v, %v", p, err)
		}
	})
	for _, phone := range []string{"+14155550100", "+44207183875"} {
		if isE164(phone) == false {
			t.Errorf("%s refused", phone)
		}
	}
	for _, phone := range []string{"14155550100", "+1415555", "+1234567890123456", "+1-415-555-0100"} {
		if isE164(phone) {
			t.Errorf("%s accepted", phone)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	t.Run("a wrapped unavailable error matches the sentinel and keeps its cause", func(t *testing.T) {
		cause := errors.New("dial tcp: refused")
		err := fmt.Errorf("sqlite: find user: %w", WrapUnavailable(cause))
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, cause) || AsError(err).Code != "dependency_unavailable" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("an error without a code is internal", func(t *testing.T) {
		if AsError(errors.New("boom")).Code != "internal" {
			t.Fatal("not internal")
		}
	})
	t.Run("a validation error says the first field and counts the rest", func(t *testing.T) {
		err := Validation(FieldError{"email", "is required"}, FieldError{"password", "is required"})
		if err.Error() != "email is required (and 1 more)" || !errors.Is(err, ErrValidation) {
			t.Fatalf("got %q", err)
		}
		if Validation() != nil {
			t.Fatal("no fields must be no error")
		}
	})
}

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := Secret("hunter2-token")
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "token", s)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), b.String()} {
		if strings.Contains(out, "hunter2") {
			t.Fatalf("secret printed: %s", out)
		}
	}
	if s.Reveal() != "hunter2-token" || !EqualHashes(s.Hash(), Secret("hunter2-token").Hash()) || EqualHashes(s.Hash(), Secret("other").Hash()) {
		t.Fatal("Reveal/Hash broken")
	}
}

func TestSessionLive(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := Session{ExpiresAt: now.Add(time.Hour), RefreshExpiresAt: now.Add(time.Minute)}
	if !s.Live(now) || s.Live(now.Add(time.Minute)) {
		t.Fatal("refresh expiry not honoured")
	}
	s.RevokedAt = &now
	if s.Live(now) {
		t.Fatal("revoked session live")
	}
}
