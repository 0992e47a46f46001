package application

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"authd/domain"
	"authd/ports"
)

var ctx = context.Background()

func ptr[T any](v T) *T { return &v }

func validInput() ports.RegisterInput {
	return ports.RegisterInput{Email: "  Jane@Example.COM ", Password: "correct horse", Profile: domain.Profile{FirstName: "Jane"}}
}

// verifyToken pulls the token out of the newest verification mail.
func verifyToken(t *testing.T, e *env) domain.Secret {
	t.Helper()
	msgs := e.store.Enqueued()
	if len(msgs) == 0 {
		t.Fatal("no mail was queued")
	}
	m := regexp.MustCompile(`/api/v1/auth/email/verify/(\S+)`).FindStringSubmatch(msgs[len(msgs)-1].Text)
	if m == nil {
		t.Fatalf("no verification link in mail:\n%s", msgs[len(msgs)-1].Text)
	}
	return domain.Secret(m[1])
}

func fieldsOf(err error) []string {
	var de *domain.Error
	if !errors.As(err, &de) {
		return nil
	}
	var names []string
	for _, f := range de.Fields {
		names = append(names, f.Field)
	}
	return names
}

func TestRegister(t *testing.T) {
	t.Parallel()
	t.Run("stores a normalised account with a hashed password and queues a verification mail", func(t *testing.T) {
		e := newEnv()
		res, err := e.registration.Register(ctx, validInput())
		if err != nil {
			t.Fatal(err)
		}
		u := res.User
		if u.Email.String() != "jane@example.com" || u.Role != "customer" || u.EmailVerified || u.PasswordHash != "hash:correct horse" {
			t.Fatalf("unexpected user %+v", u)
		}
		if res.Session != nil {
			t.Fatal("a session was returned although verification is required")
		}
		msgs := e.store.Enqueued()
		if len(msgs) != 1 || msgs[0].To != u.Email || !strings.Contains(msgs[0].Text, "http://localhost:3000/api/v1/auth/email/verify/") {
			t.Fatalf("unexpected outbox %+v", msgs)
		}
		if msgs[0].HTML == "" || !strings.Contains(msgs[0].Text, "24 hours") {
			t.Fatalf("mail lacks its HTML part or lifetime:\n%s", msgs[0].Text)
		}
	})

	t.Run("returns a session when email verification is not required", func(t *testing.T) {
		e := newEnv(func(s *Settings) { s.RequireEmailVerification = false })
		res, err := e.registration.Register(ctx, validInput())
		if err != nil {
			t.Fatal(err)
		}
		if res.Session == nil || res.Session.AccessToken == "" || res.Session.RefreshToken == "" {
			t.Fatalf("no session: %+v", res)
		}
		if len(e.store.Enqueued()) != 1 {
			t.Fatal("the verification mail is sent all the same")
		}
	})

	t.Run("refuses an email that is taken in any spelling", func(t *testing.T) {
		e := newEnv()
		if _, err := e.registration.Register(ctx, validInput()); err != nil {
			t.Fatal(err)
		}
		in := validInput()
		in.Email = "JANE@example.com"
		if _, err := e.registration.Register(ctx, in); !errors.Is(err, domain.ErrEmailTaken) {
			t.Fatalf("got %v, want email_taken", err)
		}
	})

	invalid := []struct {
		name   string
		mod    func(*ports.RegisterInput)
		fields []string
	}{
		{"names every bad field at once", func(in *ports.RegisterInput) {
			in.Email, in.Password, in.Profile.Phone = "nope", "short", "12345"
		}, []string{"email", "password", "phone"}},
		{"refuses a confirmation that differs", func(in *ports.RegisterInput) { in.PasswordConfirm = ptr(domain.Secret("other password")) }, []string{"passwordConfirm"}},
		{"refuses a password equal to the email", func(in *ports.RegisterInput) { in.Password = "jane@example.com" }, []string{"password"}},
		{"refuses a role that may not be self-assigned", func(in *ports.RegisterInput) { in.Role = "admin" }, []string{"role"}},
		{"refuses a password over 128 characters", func(in *ports.RegisterInput) { in.Password = domain.Secret(strings.Repeat("é", 129)) }, []string{"password"}},
		{"refuses a profile image that is not http(s)", func(in *ports.RegisterInput) { in.Profile.ProfileImage = "javascript:alert(1)" }, []string{"profileImage"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			in := validInput()
			tc.mod(&in)
			_, err := e.registration.Register(ctx, in)
			if !errors.Is(err, domain.ErrValidation) || strings.Join(fieldsOf(err), ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("got %v with fields %v, want fields %v", err, fieldsOf(err), tc.fields)
			}
			if e.store.UserCount() != 0 || len(e.store.Enqueued()) != 0 {
				t.Fatal("invalid input changed state")
			}
		})
	}

	t.Run("accepts an allowed role case-insensitively and a matching confirmation", func(t *testing.T) {
		e := newEnv()
		in := validInput()
		in.Role, in.PasswordConfirm = "Retailer", ptr(in.Password)
		res, err := e.registration.Register(ctx, in)
		if err != nil || res.User.Role != "retailer" {
			t.Fatalf("got %v, %v", res.User, err)
		}
	})

	t.Run("passes a storage outage through as unavailable", func(t *testing.T) {
		e := newEnv()
		e.store.FailNext(domain.WrapUnavailable(errors.New("db down")))
		if _, err := e.registration.Register(ctx, validInput()); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("got %v", err)
		}
	})
}
