package application

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"authd/domain"
	"authd/ports"
)

var (
	resetLinkRe = regexp.MustCompile(`reset-password\?token=(\S+)`)
	otpRe       = regexp.MustCompile(`(?m)^\s+(\d{6})$`)
)

// lastMail returns the newest queued message to email.
func lastMail(t *testing.T, e *env, email string) domain.Message {
	t.Helper()
	msgs := e.store.Enqueued()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To.String() == email {
			return msgs[i]
		}
	}
	t.Fatalf("no mail to %s", email)
	return domain.Message{}
}

func resetLink(t *testing.T, e *env) domain.Secret {
	t.Helper()
	m := resetLinkRe.FindStringSubmatch(lastMail(t, e, "jane@example.com").Text)
	if m == nil {
		t.Fatal("no reset link in the mail")
	}
	return domain.Secret(m[1])
}

func resetCode(t *testing.T, e *env) domain.Secret {
	t.Helper()
	m := otpRe.FindStringSubmatch(lastMail(t, e, "jane@example.com").Text)
	if m == nil {
		t.Fatalf("no code in the mail:\n%s", lastMail(t, e, "jane@example.com").Text)
	}
	return domain.Secret(m[1])
}

func TestForgotPassword(t *testing.T) {
	t.Parallel()
	t.Run("answers alike for every well-formed email and mails only existing, active accounts", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		e.registration.Register(ctx, ports.RegisterInput{Email: "unverified@example.com", Password: "some password"})
		before := len(e.store.Enqueued())
		for _, email := range []string{"jane@example.com", "nobody@example.com", "unverified@example.com"} {
			if err := e.reset.Forgot(ctx, email, "", ports.Client{}); err != nil {
				t.Fatalf("%s: %v", email, err)
			}
		}
		if got := len(e.store.Enqueued()) - before; got != 2 {
			t.Fatalf("%d mails, want 2 (the unknown email gets none)", got)
		}
		if !strings.Contains(lastMail(t, e, "jane@example.com").Text, "http://localhost:3000/reset-password?token=") {
			t.Fatal("link not built from the configured URL")
		}
	})

	t.Run("refuses malformed input", func(t *testing.T) {
		e := newEnv()
		if err := e.reset.Forgot(ctx, "nope", "", ports.Client{}); !errors.Is(err, domain.ErrValidation) {
			t.Fatalf("email: %v", err)
		}
		if err := e.reset.Forgot(ctx, "jane@example.com", "sms", ports.Client{}); !errors.Is(err, domain.ErrValidation) {
			t.Fatalf("method: %v", err)
		}
	})

	t.Run("sends no mail to a deactivated account", func(t *testing.T) {
		e := newEnv()
		u := registered(t, e)
		e.store.Users().Update(ctx, u.ID, func(u *domain.User) error { now := t0; u.DeactivatedAt = &now; return nil })
		before := len(e.store.Enqueued())
		if err := e.reset.Forgot(ctx, "jane@example.com", "", ports.Client{}); err != nil || len(e.store.Enqueued()) != before {
			t.Fatalf("err %v, mails %d", err, len(e.store.Enqueued())-before)
		}
	})

	t.Run("sends at most five reset mails per account per hour", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		before := len(e.store.Enqueued())
		for range 7 {
			if err := e.reset.Forgot(ctx, "jane@example.com", "otp", ports.Client{}); err != nil {
				t.Fatal(err)
			}
		}
		if got := len(e.store.Enqueued()) - before; got != 5 {
			t.Fatalf("%d mails", got)
		}
		e.clock.Advance(time.Hour + time.Second)
		e.reset.Forgot(ctx, "jane@example.com", "otp", ports.Client{})
		if got := len(e.store.Enqueued()) - before; got != 6 {
			t.Fatalf("%d mails after the hour", got)
		}
	})
}

func TestResetByLink(t *testing.T) {
	t.Parallel()
	in := func(tok domain.Secret) ports.ResetInput {
		return ports.ResetInput{Token: tok, NewPassword: "brand new password"}
	}

	t.Run("sets the password, revokes every session, verifies the email, and works once", func(t *testing.T) {
		e := newEnv()
		s := loggedIn(t, e)
		e.reset.Forgot(ctx, "jane@example.com", "", ports.Client{})
		tok := resetLink(t, e)
		if err := e.reset.Reset(ctx, in(tok)); err != nil {
			t.Fatal(err)
		}
		wantRevoked(t, e, s.AccessToken)
		if _, err := e.login.Login(ctx, ports.LoginInput{Email: "jane@example.com", Password: "brand new password"}); err != nil {
			t.Fatal(err)
		}
		if err := e.reset.Reset(ctx, in(tok)); !errors.Is(err, domain.ErrInvalidResetToken) {
			t.Fatalf("second use: %v", err)
		}
		if !strings.Contains(lastMail(t, e, "jane@example.com").Subject, "password was changed") {
			t.Fatal("no notice mail")
		}
	})

	t.Run("marks an unverified email verified", func(t *testing.T) {
		e := newEnv()
		res, _ := e.registration.Register(ctx, validInput())
		e.reset.Forgot(ctx, "jane@example.com", "link", ports.Client{})
		if err := e.reset.Reset(ctx, in(resetLink(t, e))); err != nil {
			t.Fatal(err)
		}
		if u, _ := e.store.Users().ByID(ctx, res.User.ID); !u.EmailVerified {
			t.Fatal("not verified")
		}
	})

	t.Run("refuses an expired token, and one voided by a newer request", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		e.reset.Forgot(ctx, "jane@example.com", "", ports.Client{})
		first := resetLink(t, e)
		e.reset.Forgot(ctx, "jane@example.com", "", ports.Client{})
		second := resetLink(t, e)
		if err := e.reset.Reset(ctx, in(first)); !errors.Is(err, domain.ErrInvalidResetToken) {
			t.Fatalf("voided: %v", err)
		}
		e.clock.Advance(time.Hour)
		if err := e.reset.Reset(ctx, in(second)); !errors.Is(err, domain.ErrInvalidResetToken) {
			t.Fatalf("expired: %v", err)
		}
	})

	t.Run("keeps the token when the new password is refused", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		e.reset.Forgot(ctx, "jane@example.com", "", ports.Client{})
		tok := resetLink(t, e)
		bad := in(tok)
		bad.NewPassword = "jane@example.com"
		if err := e.reset.Reset(ctx, bad); !errors.Is(err, domain.ErrValidation) {
			t.Fatalf("got %v", err)
		}
		if err := e.reset.Reset(ctx, in(tok)); err != nil {
			t.Fatalf("token burned by a refused password: %v", err)
		}
	})

	t.Run("validates the input", func(t *testing.T) {
		e := newEnv()
		for name, bad := range map[string]ports.ResetInput{
			"nothing":       {NewPassword: "brand new password"},
			"both methods":  {Token: "t", Email: "jane@example.com", OTP: "123456", NewPassword: "brand new password"},
			"otp alone":     {OTP: "123456", NewPassword: "brand new password"},
			"weak password": {Token: "t", NewPassword: "short"},
			"mismatch":      {Token: "t", NewPassword: "brand new password", NewPasswordConfirm: ptr(domain.Secret("other"))},
		} {
			if err := e.reset.Reset(ctx, bad); !errors.Is(err, domain.ErrValidation) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestResetByOTP(t *testing.T) {
	t.Parallel()
	in := func(code domain.Secret) ports.ResetInput {
		return ports.ResetInput{Email: "Jane@Example.com", OTP: code, NewPassword: "brand new password"}
	}
	wrong := func(code domain.Secret) domain.Secret {
		if code == "000000" {
			return "000001"
		}
		return "000000"
	}

	t.Run("resets with the emailed code once", func(t *testing.T) {
		e := newEnv()
		s := loggedIn(t, e)
		e.reset.Forgot(ctx, "jane@example.com", "otp", ports.Client{})
		code := resetCode(t, e)
		if err := e.reset.Reset(ctx, in(code)); err != nil {
			t.Fatal(err)
		}
		wantRevoked(t, e, s.AccessToken)
		if err := e.reset.Reset(ctx, in(code)); !errors.Is(err, domain.ErrInvalidCode) {
			t.Fatalf("second use: %v", err)
		}
	})

	t.Run("stores the code as an HMAC, not the code", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		e.reset.Forgot(ctx, "jane@example.com", "otp", ports.Client{})
		code := resetCode(t, e)
		for _, tok := range e.store.AllTokens() {
			if tok.Purpose == domain.PurposeResetOTP && (strings.Contains(string(tok.Hash), code.Reveal()) || domain.EqualHashes(tok.Hash, code.Hash())) {
				t.Fatal("code stored in clear or as a plain hash")
			}
		}
	})

	t.Run("voids the code after five wrong tries", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		e.reset.Forgot(ctx, "jane@example.com", "otp", ports.Client{})
		code := resetCode(t, e)
		for range 5 {
			if err := e.reset.Reset(ctx, in(wrong(code))); !errors.Is(err, domain.ErrInvalidCode) {
				t.Fatal(err)
			}
		}
		if err := e.reset.Reset(ctx, in(code)); !errors.Is(err, domain.ErrInvalidCode) {
			t.Fatalf("right code after five wrong tries: %v", err)
		}
	})

	t.Run("never evaluates more than five guesses of one code, even in parallel", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		e.reset.Forgot(ctx, "jane@example.com", "otp", ports.Client{})
		code := resetCode(t, e)
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() { e.reset.Reset(ctx, in(wrong(code))) })
		}
		wg.Wait()
		for _, tok := range e.store.AllTokens() {
			if tok.Purpose == domain.PurposeResetOTP && tok.Attempts > 5 {
				t.Fatalf("%d tries counted", tok.Attempts)
			}
		}
		if err := e.reset.Reset(ctx, in(code)); !errors.Is(err, domain.ErrInvalidCode) {
			t.Fatalf("right code after the cap: %v", err)
		}
	})

	t.Run("refuses OTP reset for the hour after ten wrong codes, whatever new codes are requested", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		for range 2 {
			e.reset.Forgot(ctx, "jane@example.com", "otp", ports.Client{})
			code := resetCode(t, e)
			for range 5 {
				e.reset.Reset(ctx, in(wrong(code)))
			}
		}
		e.reset.Forgot(ctx, "jane@example.com", "otp", ports.Client{})
		fresh := resetCode(t, e)
		if err := e.reset.Reset(ctx, in(fresh)); !errors.Is(err, domain.ErrInvalidCode) {
			t.Fatalf("fresh code accepted after ten failures: %v", err)
		}
		e.clock.Advance(time.Hour + time.Second)
		e.reset.Forgot(ctx, "jane@example.com", "otp", ports.Client{})
		if err := e.reset.Reset(ctx, in(resetCode(t, e))); err != nil {
			t.Fatalf("after the hour: %v", err)
		}
	})

	t.Run("refuses an expired code and an unknown or deactivated account alike", func(t *testing.T) {
		e := newEnv()
		u := registered(t, e)
		e.reset.Forgot(ctx, "jane@example.com", "otp", ports.Client{})
		code := resetCode(t, e)
		e.clock.Advance(10 * time.Minute)
		if err := e.reset.Reset(ctx, in(code)); !errors.Is(err, domain.ErrInvalidCode) {
			t.Fatalf("expired: %v", err)
		}
		unknown := in(code)
		unknown.Email = "nobody@example.com"
		if err := e.reset.Reset(ctx, unknown); !errors.Is(err, domain.ErrInvalidCode) {
			t.Fatalf("unknown: %v", err)
		}
		e.reset.Forgot(ctx, "jane@example.com", "otp", ports.Client{})
		code = resetCode(t, e)
		e.store.Users().Update(ctx, u.ID, func(u *domain.User) error { now := t0; u.DeactivatedAt = &now; return nil })
		if err := e.reset.Reset(ctx, in(code)); !errors.Is(err, domain.ErrInvalidCode) {
			t.Fatalf("deactivated: %v", err)
		}
	})

	t.Run("a link token does not pass as a code and a new request voids both", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		e.reset.Forgot(ctx, "jane@example.com", "otp", ports.Client{})
		code := resetCode(t, e)
		e.reset.Forgot(ctx, "jane@example.com", "link", ports.Client{})
		if err := e.reset.Reset(ctx, in(code)); !errors.Is(err, domain.ErrInvalidCode) {
			t.Fatalf("code survived a new request: %v", err)
		}
	})
}
