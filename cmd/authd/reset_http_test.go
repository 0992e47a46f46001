package main

import (
	"regexp"
	"strings"
	"testing"

	"authd/internal/testkit"
)

var (
	resetLinkRe = regexp.MustCompile(`/reset-password\?token=([A-Za-z0-9_-]+)`)
	otpRe       = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)
)

func TestForgotAndResetByLink(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")

	t.Run("forgot answers the same 202 for every well-formed email", func(t *testing.T) {
		var bodies []string
		for _, e := range []string{"jane@example.com", "nobody@example.com"} {
			bodies = append(bodies, a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": e}).Want(t, 202).Raw)
		}
		if bodies[0] != bodies[1] {
			t.Fatalf("answers differ: %v", bodies)
		}
		a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "nope"}).Want(t, 400, "validation_failed")
		a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "jane@example.com", "method": "sms"}).Want(t, 400, "validation_failed")
	})

	t.Run("the emailed link resets once, revokes sessions and points at the built-in page", func(t *testing.T) {
		tok := a.waitForMail("jane@example.com", resetLinkRe)
		if !strings.Contains(a.mail.String(), a.cfg.PublicURL+"/reset-password?token="+tok) {
			t.Fatal("the link is not built from AUTH_PUBLIC_URL")
		}
		a.do("POST", "/api/v1/auth/password/reset", map[string]any{"token": tok, "newPassword": "short"}).Want(t, 400, "validation_failed")
		a.do("POST", "/api/v1/auth/password/reset", map[string]any{"token": tok, "newPassword": "brand new password", "newPasswordConfirm": "x"}).
			Want(t, 400, "validation_failed")
		r := a.do("POST", "/api/v1/auth/password/reset", map[string]any{"token": tok, "newPassword": "brand new password"}).Want(t, 200)
		if r.Str("message") == "" || r.Body["accessToken"] != nil {
			t.Fatalf("body %s", r.Raw)
		}
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 401, "token_revoked")
		a.do("POST", "/api/v1/auth/password/reset", map[string]any{"token": tok, "newPassword": "another password"}).Want(t, 400, "invalid_reset_token")
		a.login("jane@example.com", "brand new password").Want(t, 200)
		a.waitForMail("jane@example.com", regexp.MustCompile(`Subject: (Your password was changed)`))
	})

	t.Run("unknown tokens and missing fields are refused", func(t *testing.T) {
		a.do("POST", "/api/v1/auth/password/reset", map[string]any{"token": "bogus", "newPassword": "brand new password"}).Want(t, 400, "invalid_reset_token")
		a.do("POST", "/api/v1/auth/password/reset", map[string]any{"newPassword": "brand new password"}).Want(t, 400, "validation_failed")
	})
}

func TestForgotAndResetByOTP(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	a.registerVerified("jane@example.com")
	reset := func(code string) *testkit.Reply {
		return a.do("POST", "/api/v1/auth/password/reset", map[string]any{"email": "jane@example.com", "otp": code, "newPassword": "brand new password"})
	}
	wrong := func(code string) string {
		if code == "000000" {
			return "000001"
		}
		return "000000"
	}

	a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "jane@example.com", "method": "otp"}).Want(t, 202)
	code := a.waitForMail("jane@example.com", otpRe)
	reset(wrong(code)).Want(t, 400, "invalid_code")
	reset(code).Want(t, 200)
	reset(code).Want(t, 400, "invalid_code")
	a.login("jane@example.com", "brand new password").Want(t, 200)

	t.Run("five wrong tries void the code", func(t *testing.T) {
		a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "jane@example.com", "method": "otp"}).Want(t, 202)
		next := a.waitForMail("jane@example.com", otpRe)
		for next == code { // until the new mail is there
			next = a.waitForMail("jane@example.com", otpRe)
		}
		code = next
		for range 5 {
			reset(wrong(code)).Want(t, 400, "invalid_code")
		}
		reset(code).Want(t, 400, "invalid_code")
	})
}

func TestResetPage(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	r := a.do("GET", "/reset-password?token=abc", nil).Want(t, 200)
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("headers %v", r.Header)
	}
	if !strings.Contains(r.Raw, `<script src="/reset-password.js"`) || strings.Contains(r.Raw, "<script>") {
		t.Fatal("the page must load its script from a file, never inline")
	}
	js := a.do("GET", "/reset-password.js", nil).Want(t, 200)
	if !strings.Contains(js.Raw, "/api/v1/auth/password/reset") || !strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("script %s", js.Header)
	}
	a.do("GET", "/reset-password.css", nil).Want(t, 200)
}

// TestOTPSurvivesRestart: the server HMAC key is generated once into the data
// dir, so a code mailed before a restart still works after it.
func TestOTPSurvivesRestart(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	a.registerVerified("jane@example.com")
	a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "jane@example.com", "method": "otp"}).Want(t, 202)
	code := a.waitForMail("jane@example.com", otpRe)
	b := a.restart()
	b.do("POST", "/api/v1/auth/password/reset", map[string]any{"email": "jane@example.com", "otp": code, "newPassword": "brand new password"}).Want(t, 200)
}
