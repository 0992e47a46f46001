package main

import (
	"testing"

	"authd/internal/testkit"
)

// The added password rules (contract: "Passwords (added rules)") over HTTP, on
// the embedded store and, with AUTH_TEST_BACKEND=mysql, on MySQL + memcached.

// refusedPasswords are new passwords the rules refuse for an account whose
// email local part is local, with the message each one gets.
func refusedPasswords(local string) []struct{ name, pw, msg string } {
	return []struct{ name, pw, msg string }{
		{"a common password", "password1", "is too common"},
		{"a common password in mixed case", "PassWord1", "is too common"},
		{"a common password in fullwidth letters", "ｐａｓｓｗｏｒｄ１", "is too common"},
		{"one containing the email local part", "my " + local + " secret", "must not contain your email"},
		{"one containing the service name", "my AuthD password", "must not contain the service name authd"},
	}
}

// wantFieldError fails unless r is 400 validation_failed naming exactly field
// with msg, in the contract's error shape.
func wantFieldError(t *testing.T, r *testkit.Reply, field, msg string) {
	t.Helper()
	r.Want(t, 400, "validation_failed")
	checkErrorShape(t, r)
	errs, _ := r.Body["errors"].([]any)
	if len(errs) != 1 {
		t.Fatalf("errors %s, want one for %s", r.Raw, field)
	}
	e, _ := errs[0].(map[string]any)
	if e["field"] != field || e["message"] != msg || r.Str("message") != field+" "+msg {
		t.Fatalf("got %s, want %s %q", r.Raw, field, msg)
	}
}

func TestPasswordRulesOverHTTP(t *testing.T) {
	a := startApp(t, "", nil)

	t.Run("register refuses common, email-containing and service-name passwords", func(t *testing.T) {
		t.Parallel()
		const email = "jane.doe@example.com"
		for _, tc := range refusedPasswords("Jane.Doe") {
			t.Run(tc.name, func(t *testing.T) {
				r := a.do("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": tc.pw})
				wantFieldError(t, r, "password", tc.msg)
			})
		}
		// nothing was created: the address is still free
		a.do("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": pw}).Want(t, 201)
	})

	t.Run("change refuses them as newPassword and keeps the old password", func(t *testing.T) {
		t.Parallel()
		const email = "carol.change@example.com"
		s := a.registerVerified(email)
		for _, tc := range refusedPasswords("CAROL.change") {
			t.Run(tc.name, func(t *testing.T) {
				r := a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": pw, "newPassword": tc.pw},
					testkit.Bearer(s.Str("accessToken")))
				wantFieldError(t, r, "newPassword", tc.msg)
			})
		}
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 200) // no session was revoked
		a.login(email, pw).Want(t, 200)
		a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": pw, "newPassword": "violet tractor umbrella"},
			testkit.Bearer(s.Str("accessToken"))).Want(t, 200)
		a.login(email, "violet tractor umbrella").Want(t, 200)
	})

	t.Run("reset by link refuses them as newPassword and the link still works after", func(t *testing.T) {
		t.Parallel()
		const email = "rita.reset@example.com"
		a.registerVerified(email)
		a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": email}).Want(t, 202)
		tok := a.waitForMail(email, resetLinkRe)
		for _, tc := range refusedPasswords("rita.RESET") {
			t.Run(tc.name, func(t *testing.T) {
				r := a.do("POST", "/api/v1/auth/password/reset", map[string]any{"token": tok, "newPassword": tc.pw})
				wantFieldError(t, r, "newPassword", tc.msg)
			})
		}
		a.login(email, pw).Want(t, 200) // nothing was replaced
		a.do("POST", "/api/v1/auth/password/reset", map[string]any{"token": tok, "newPassword": "orange glacier piano"}).Want(t, 200)
		a.login(email, "orange glacier piano").Want(t, 200)
	})

	t.Run("an account registered with the NFD spelling logs in with the NFC one", func(t *testing.T) {
		t.Parallel()
		const email = "nfd.user@example.com"
		nfd, nfc := "Zoe\u0308 cafe\u0301 cre\u0300me", "Zoë café crème"
		a.do("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": nfd}).Want(t, 201)
		a.do("GET", "/api/v1/auth/email/verify/"+a.verifyLink(email), nil).Want(t, 200)
		a.login(email, nfc).Want(t, 200)
		a.login(email, nfd).Want(t, 200)
		a.login(email, "Zoe cafe creme").Want(t, 401, "invalid_credentials")
	})
}
