package main

import (
	"regexp"
	"strings"
	"testing"

	"authd/internal/testkit"
)

// TestNoSecretInLogs runs every flow with recognisable secrets and searches
// the whole log for them. The console mail output is a separate stream: it
// must carry the verification link (that is its job) and nothing else secret.
func TestNoSecretInLogs(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	const canaryPW, canaryWrong, canaryNew = "canary-pass-7Q2x", "canary-wrong-9Z1y", "canary-new-4K8w"
	email := "tweety@example.com" // not "canary@": a password may not contain the email local part

	a.do("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": canaryPW}).Want(t, 201)
	vtok := a.verifyLink(email)
	a.do("GET", "/api/v1/auth/email/verify/"+vtok+"?leak=querystring-canary", nil).Want(t, 200)
	a.login(email, canaryWrong).Want(t, 401)
	s := a.login(email, canaryPW).Want(t, 200)
	access, refresh := s.Str("accessToken"), s.Str("refreshToken")
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(access)).Want(t, 200)
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(access+"x")).Want(t, 401)
	a.do("PATCH", "/api/v1/users/me", map[string]any{"firstName": "Canary"}, testkit.Bearer(access)).Want(t, 200)
	r := a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": refresh}).Want(t, 200)
	access2, refresh2 := r.Str("accessToken"), r.Str("refreshToken")
	a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": refresh}).Want(t, 409)
	c := a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": canaryPW, "newPassword": canaryNew}, testkit.Bearer(access2)).Want(t, 200)
	a.do("POST", "/api/v1/auth/logout", map[string]any{"scope": "global"}, testkit.Bearer(c.Str("accessToken"))).Want(t, 204)
	a.do("POST", "/api/v1/auth/logout", map[string]any{"refreshToken": refresh2}).Want(t, 401)

	logs, mail := a.logs.String(), a.mail.String()
	secrets := map[string]string{
		"password": canaryPW, "wrong password": canaryWrong, "new password": canaryNew,
		"access token": access, "refresh token": refresh, "second access token": access2, "second refresh token": refresh2,
		"changed-password access token": c.Str("accessToken"), "changed-password refresh token": c.Str("refreshToken"),
		"verification token": vtok, "query string": "querystring-canary",
	}
	for what, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the %s", what)
		}
		if what != "verification token" && strings.Contains(mail, secret) {
			t.Errorf("the mail output contains the %s", what)
		}
	}
	// the token's JWT parts would also be a leak
	if parts := strings.Split(access, "."); len(parts) == 3 && strings.Contains(logs, parts[2]) {
		t.Error("the log contains an access token signature")
	}
	if !strings.Contains(mail, vtok) {
		t.Error("the verification link is missing from the mail output")
	}
	if n := len(regexp.MustCompile(`msg=request `).FindAllString(logs, -1)); n < 10 {
		t.Fatalf("only %d request log lines: the check looked at too little", n)
	}
	for _, ev := range []string{"login_failed", "password_changed", "logout"} {
		if !strings.Contains(logs, "msg="+ev) {
			t.Errorf("no %s event in the log", ev)
		}
	}
}
