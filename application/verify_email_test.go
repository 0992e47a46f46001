package application

import (
	"errors"
	"testing"
	"time"

	"authd/domain"
	"authd/ports"
)

func TestVerifyEmail(t *testing.T) {
	t.Parallel()
	t.Run("marks the email verified once and refuses the token the second time", func(t *testing.T) {
		e := newEnv()
		res, _ := e.registration.Register(ctx, validInput())
		tok := verifyToken(t, e)
		if err := e.verification.Verify(ctx, tok, ports.Client{}); err != nil {
			t.Fatal(err)
		}
		if u, _ := e.store.Users().ByID(ctx, res.User.ID); !u.EmailVerified {
			t.Fatal("email not verified")
		}
		if err := e.verification.Verify(ctx, tok, ports.Client{}); !errors.Is(err, domain.ErrInvalidVerificationToken) {
			t.Fatalf("second use: %v", err)
		}
	})

	t.Run("refuses an expired token", func(t *testing.T) {
		e := newEnv()
		e.registration.Register(ctx, validInput())
		tok := verifyToken(t, e)
		e.clock.Advance(24*time.Hour + time.Second)
		if err := e.verification.Verify(ctx, tok, ports.Client{}); !errors.Is(err, domain.ErrInvalidVerificationToken) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("refuses unknown and empty tokens with distinct codes", func(t *testing.T) {
		e := newEnv()
		if err := e.verification.Verify(ctx, "unknown", ports.Client{}); !errors.Is(err, domain.ErrInvalidVerificationToken) {
			t.Fatalf("unknown: %v", err)
		}
		if err := e.verification.Verify(ctx, "", ports.Client{}); !errors.Is(err, domain.ErrValidation) {
			t.Fatalf("empty: %v", err)
		}
	})

	t.Run("refuses the token of a deactivated account", func(t *testing.T) {
		e := newEnv()
		res, _ := e.registration.Register(ctx, validInput())
		tok := verifyToken(t, e)
		e.store.Users().Update(ctx, res.User.ID, func(u *domain.User) error { now := t0; u.DeactivatedAt = &now; return nil })
		if err := e.verification.Verify(ctx, tok, ports.Client{}); !errors.Is(err, domain.ErrInvalidVerificationToken) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestResendVerification(t *testing.T) {
	t.Parallel()
	t.Run("voids the earlier token and sends a new one", func(t *testing.T) {
		e := newEnv()
		e.registration.Register(ctx, validInput())
		first := verifyToken(t, e)
		if err := e.verification.Resend(ctx, "JANE@example.com", ports.Client{}); err != nil {
			t.Fatal(err)
		}
		second := verifyToken(t, e)
		if first == second || len(e.store.Enqueued()) != 2 {
			t.Fatal("no new mail")
		}
		if err := e.verification.Verify(ctx, first, ports.Client{}); !errors.Is(err, domain.ErrInvalidVerificationToken) {
			t.Fatalf("old token still works: %v", err)
		}
		if err := e.verification.Verify(ctx, second, ports.Client{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("answers the same for unknown and verified accounts and sends nothing", func(t *testing.T) {
		e := newEnv()
		e.registration.Register(ctx, validInput())
		e.verification.Verify(ctx, verifyToken(t, e), ports.Client{})
		for _, email := range []string{"jane@example.com", "nobody@example.com"} {
			if err := e.verification.Resend(ctx, email, ports.Client{}); err != nil {
				t.Fatalf("%s: %v", email, err)
			}
		}
		if n := len(e.store.Enqueued()); n != 1 {
			t.Fatalf("%d mails, want only the first", n)
		}
	})

	t.Run("refuses a malformed email", func(t *testing.T) {
		if err := newEnv().verification.Resend(ctx, "not-an-email", ports.Client{}); !errors.Is(err, domain.ErrValidation) {
			t.Fatalf("got %v", err)
		}
	})
}
