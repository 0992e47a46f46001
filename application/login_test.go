package application

import (
	"errors"
	"strings"
	"testing"
	"time"

	"authd/domain"
	"authd/ports"
)

// registered creates a verified account and returns it.
func registered(t *testing.T, e *env) *domain.User {
	t.Helper()
	res, err := e.registration.Register(ctx, validInput())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.verification.Verify(ctx, verifyToken(t, e), ports.Client{}); err != nil {
		t.Fatal(err)
	}
	return res.User
}

func TestLogin(t *testing.T) {
	t.Parallel()
	in := ports.LoginInput{Email: "jane@example.com", Password: "correct horse", Client: ports.Client{UserAgent: "curl", IP: "127.0.0.1"}}

	t.Run("starts a session whose access token authenticates the user", func(t *testing.T) {
		e := newEnv()
		u := registered(t, e)
		s, err := e.login.Login(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if s.User.ID != u.ID || !s.AccessExpiresAt.Equal(t0.Add(15*time.Minute)) || !s.RefreshExpiresAt.Equal(t0.Add(168*time.Hour)) {
			t.Fatalf("unexpected session %+v", s)
		}
		stored, err := e.store.Sessions().ByID(ctx, s.SessionID)
		if err != nil || stored.UserAgent != "curl" || !stored.ExpiresAt.Equal(t0.Add(720*time.Hour)) {
			t.Fatalf("stored session %+v, %v", stored, err)
		}
		if _, _, _, err := (e.store.Sessions()).RefreshToken(ctx, s.RefreshToken.Hash()); err != nil {
			t.Fatal("the refresh token is not stored by its hash")
		}
		p, err := e.auth.Authenticate(ctx, s.AccessToken)
		if err != nil || p.UserID != u.ID || p.SessionID != s.SessionID {
			t.Fatalf("authenticate: %+v, %v", p, err)
		}
	})

	t.Run("caps the first refresh token at the session's absolute limit", func(t *testing.T) {
		e := newEnv(func(s *Settings) { s.SessionMaxAge = time.Hour })
		registered(t, e)
		s, err := e.login.Login(ctx, in)
		if err != nil || !s.RefreshExpiresAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("refresh expiry %v, %v", s.RefreshExpiresAt, err)
		}
	})

	t.Run("answers unknown email and wrong password alike, with the same password work", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		before := e.hasher.Verifies()
		_, errUnknown := e.login.Login(ctx, ports.LoginInput{Email: "nobody@example.com", Password: "correct horse"})
		_, errWrong := e.login.Login(ctx, ports.LoginInput{Email: "jane@example.com", Password: "wrong password"})
		if !errors.Is(errUnknown, domain.ErrInvalidCredentials) || !errors.Is(errWrong, domain.ErrInvalidCredentials) || errUnknown.Error() != errWrong.Error() {
			t.Fatalf("unknown: %v, wrong: %v", errUnknown, errWrong)
		}
		if e.hasher.Verifies()-before != 2 {
			t.Fatalf("%d password verifications, want one per attempt", e.hasher.Verifies()-before)
		}
	})

	t.Run("tells an unverified account only after the password matched", func(t *testing.T) {
		e := newEnv()
		e.registration.Register(ctx, validInput())
		if _, err := e.login.Login(ctx, ports.LoginInput{Email: in.Email, Password: "wrong password"}); !errors.Is(err, domain.ErrInvalidCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := e.login.Login(ctx, in); !errors.Is(err, domain.ErrEmailNotVerified) {
			t.Fatalf("right password: %v", err)
		}
	})

	t.Run("lets an unverified account in when verification is not required", func(t *testing.T) {
		e := newEnv(func(s *Settings) { s.RequireEmailVerification = false })
		e.registration.Register(ctx, validInput())
		if _, err := e.login.Login(ctx, in); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("tells a deactivated account only after the password matched", func(t *testing.T) {
		e := newEnv()
		u := registered(t, e)
		e.store.Users().Update(ctx, u.ID, func(u *domain.User) error { now := t0; u.DeactivatedAt = &now; return nil })
		if _, err := e.login.Login(ctx, ports.LoginInput{Email: in.Email, Password: "wrong password"}); !errors.Is(err, domain.ErrInvalidCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := e.login.Login(ctx, in); !errors.Is(err, domain.ErrAccountDeactivated) {
			t.Fatalf("right password: %v", err)
		}
	})

	t.Run("replaces an outdated hash after a successful login", func(t *testing.T) {
		e := newEnv()
		u := registered(t, e)
		e.store.Users().Update(ctx, u.ID, func(u *domain.User) error { u.PasswordHash = "old:correct horse"; return nil })
		if _, err := e.login.Login(ctx, in); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.store.Users().ByID(ctx, u.ID); got.PasswordHash != "hash:correct horse" {
			t.Fatalf("hash not upgraded: %q", got.PasswordHash)
		}
	})

	t.Run("requires both fields", func(t *testing.T) {
		_, err := newEnv().login.Login(ctx, ports.LoginInput{})
		if strings.Join(fieldsOf(err), ",") != "email,password" {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("never logs the password", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		e.login.Login(ctx, ports.LoginInput{Email: in.Email, Password: "canary-pass-123"})
		e.login.Login(ctx, in)
		if strings.Contains(e.logs.String(), "canary-pass-123") || strings.Contains(e.logs.String(), "correct horse") {
			t.Fatalf("password in logs:\n%s", e.logs)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	t.Run("refuses an expired access token", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		s, _ := e.login.Login(ctx, ports.LoginInput{Email: "jane@example.com", Password: "correct horse"})
		e.clock.Advance(15 * time.Minute)
		if _, err := e.auth.Authenticate(ctx, s.AccessToken); !errors.Is(err, domain.ErrInvalidToken) {
			t.Fatalf("got %v", err)
		}
	})
}
