package main

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"authd/internal/testkit"
	"github.com/pquerna/otp/totp"
)

// Multi-factor sign-in, black-box: codes are computed with pquerna/otp from the
// secret the API returned, at the real clock the app runs on.

// startMFAApp starts authd like startApp, with the config changed by mod.
func startMFAApp(t *testing.T, extra map[string]string, mod func(*Config)) *testApp {
	t.Helper()
	dataDir := t.TempDir()
	env := map[string]string{}
	backendEnv(t, env)
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := LoadConfig(testEnv(dataDir, env))
	if err != nil {
		t.Fatal(err)
	}
	cfg.PasswordHash = PasswordHashConfig{MemoryKiB: 64, Iterations: 1}
	cfg.CounterPrefix = counterPrefix()
	if mod != nil {
		mod(&cfg)
	}
	a := startWithConfig(t, cfg)
	a.getenv = testEnv(dataDir, env)
	return a
}

// awayFromStepEdge waits (polling, bounded) until the current 30 s step has at
// least two seconds behind and ahead of it, so that the codes a test computes
// and the app judges belong to the steps the test means.
func awayFromStepEdge(t *testing.T) {
	t.Helper()
	testkit.Eventually(t, 40*time.Second, func() bool {
		into := time.Now().UnixMilli() % 30_000
		return into >= 2_000 && into <= 27_000
	}, "never away from a step boundary")
}

// codeAt is the TOTP code of secret for the step offset steps away from now.
func codeAt(t *testing.T, secret string, offset int) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Now().Add(time.Duration(offset)*30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// codeForStep is the TOTP code of secret for one absolute time step.
func codeForStep(t *testing.T, secret string, step int64) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Unix(step*30, 0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func currentStep() int64 { return time.Now().Unix() / 30 }

// wrongCode is a code of secret that no step of the window has.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	window := []string{codeAt(t, secret, -1), codeAt(t, secret, 0), codeAt(t, secret, 1)}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !slices.Contains(window, c) {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// enrolMFA switches MFA on for the logged-in account; it returns the secret
// and the recovery codes. The confirming code is of the previous step, so the
// next step's code is the first one a login may use.
func enrolMFA(t *testing.T, a *testApp, tok string) (string, []string) {
	t.Helper()
	r := a.do("POST", "/api/v1/users/me/mfa/totp", map[string]any{"password": pw}, testkit.Bearer(tok)).Want(t, 200)
	secret := r.Str("secret")
	awayFromStepEdge(t)
	c := a.do("POST", "/api/v1/users/me/mfa/totp/confirm", map[string]any{"code": codeAt(t, secret, -1)}, testkit.Bearer(tok)).Want(t, 200)
	return secret, stringsOf(t, c.Body["recoveryCodes"])
}

func stringsOf(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("not a list: %v", v)
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i], _ = x.(string)
	}
	return out
}

// mfaToken logs in with the password and returns the mfaToken of the challenge.
func mfaToken(t *testing.T, a *testApp, email string) string {
	t.Helper()
	r := a.login(email, pw).Want(t, 200)
	if r.Body["mfaRequired"] != true || r.Str("mfaToken") == "" {
		t.Fatalf("login of an MFA account answered %s", r.Raw)
	}
	return r.Str("mfaToken")
}

func (a *testApp) loginMFA(token string, field, code string) *testkit.Reply {
	return a.do("POST", "/api/v1/auth/login/mfa", map[string]any{"mfaToken": token, field: code})
}

// eventTypes returns the caller's event types, newest first.
func eventTypes(t *testing.T, a *testApp, tok string) []string {
	t.Helper()
	r := a.do("GET", "/api/v1/users/me/events?limit=100", nil, testkit.Bearer(tok)).Want(t, 200)
	var out []string
	for _, e := range r.Body["events"].([]any) {
		out = append(out, e.(map[string]any)["type"].(string))
	}
	return out
}

var recoveryCodeRe = regexp.MustCompile(`^[a-z2-7]{5}-[a-z2-7]{5}$`)

func TestMFAEnrolmentAndLogin(t *testing.T) {
	t.Parallel()
	a := startMFAApp(t, map[string]string{"AUTH_LOGIN_MAX_FAILURES": "100", "AUTH_MFA_ISSUER": "Acme Co"}, nil)
	s := a.registerVerified("jane@example.com")
	tok := s.Str("accessToken")
	var secret string
	var recovery []string

	t.Run("starting needs the password, and a restart replaces the pending secret", func(t *testing.T) {
		a.do("POST", "/api/v1/users/me/mfa/totp", map[string]any{"password": "wrong password"}, testkit.Bearer(tok)).Want(t, 403, "invalid_current_password")
		a.do("POST", "/api/v1/users/me/mfa/totp", map[string]any{"password": pw}).Want(t, 401, "unauthenticated")
		first := a.do("POST", "/api/v1/users/me/mfa/totp", map[string]any{"password": pw}, testkit.Bearer(tok)).Want(t, 200)
		r := a.do("POST", "/api/v1/users/me/mfa/totp", map[string]any{"password": pw}, testkit.Bearer(tok)).Want(t, 200)
		secret = r.Str("secret")
		if len(secret) != 32 || strings.ToUpper(secret) != secret || first.Str("secret") == secret {
			t.Fatalf("secrets %q then %q: want two different base32 secrets of 160 bits", first.Str("secret"), secret)
		}
		want := "otpauth://totp/Acme%20Co:jane@example.com?secret=" + secret + "&issuer=Acme+Co&algorithm=SHA1&digits=6&period=30"
		if got := r.Str("otpauthUri"); got != want {
			t.Fatalf("otpauthUri = %s\nwant        %s", got, want)
		}
		if _, err := url.Parse(r.Str("otpauthUri")); err != nil {
			t.Fatal(err)
		}
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(tok)).Want(t, 200)
		if me := a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(tok)); me.Body["mfaEnabled"] != false {
			t.Fatalf("a pending enrolment is already on: %s", me.Raw)
		}
		awayFromStepEdge(t)
		confirm := func(code string) *testkit.Reply {
			return a.do("POST", "/api/v1/users/me/mfa/totp/confirm", map[string]any{"code": code}, testkit.Bearer(tok))
		}
		confirm(codeAt(t, first.Str("secret"), 0)).Want(t, 400, "invalid_code")
		confirm(wrongCode(t, secret)).Want(t, 400, "invalid_code")
		a.login("jane@example.com", pw).Want(t, 200) // still no MFA: a plain session
	})

	t.Run("confirming with a code of the previous step switches it on and shows ten recovery codes", func(t *testing.T) {
		awayFromStepEdge(t)
		r := a.do("POST", "/api/v1/users/me/mfa/totp/confirm", map[string]any{"code": codeAt(t, secret, -1)}, testkit.Bearer(tok)).Want(t, 200)
		recovery = stringsOf(t, r.Body["recoveryCodes"])
		if len(recovery) != 10 {
			t.Fatalf("%d recovery codes", len(recovery))
		}
		for _, c := range recovery {
			if !recoveryCodeRe.MatchString(c) {
				t.Fatalf("recovery code %q", c)
			}
		}
		if me := a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(tok)); me.Body["mfaEnabled"] != true {
			t.Fatalf("mfaEnabled after confirm: %s", me.Raw)
		}
		a.do("POST", "/api/v1/users/me/mfa/totp", map[string]any{"password": pw}, testkit.Bearer(tok)).Want(t, 409, "conflict")
		a.waitForMail("jane@example.com", regexp.MustCompile(`multi-factor sign-in was just switched on`))
	})

	t.Run("login answers a challenge with no session and no cookies", func(t *testing.T) {
		r := a.login("jane@example.com", pw).Want(t, 200)
		if r.Body["mfaRequired"] != true || len(r.Str("mfaToken")) < 43 || r.Body["accessToken"] != nil || r.Body["refreshToken"] != nil || len(r.Cookies) != 0 {
			t.Fatalf("challenge %s cookies %v", r.Raw, r.Cookies)
		}
		if m := stringsOf(t, r.Body["methods"]); !slices.Equal(m, []string{"totp", "recovery_code"}) {
			t.Fatalf("methods %v", m)
		}
		a.login("jane@example.com", "wrong password").Want(t, 401, "invalid_credentials")
	})

	var session *testkit.Reply
	var lastStep int64 // the latest step a login used
	t.Run("a replayed code, a wrong code and a bad token are refused; the next code signs in", func(t *testing.T) {
		awayFromStepEdge(t)
		mt := mfaToken(t, a, "jane@example.com")
		a.loginMFA(mt, "code", codeAt(t, secret, -1)).Want(t, 401, "invalid_code") // used to confirm
		a.loginMFA(mt, "code", wrongCode(t, secret)).Want(t, 401, "invalid_code")
		a.loginMFA("not-a-token", "code", codeAt(t, secret, 0)).Want(t, 401, "invalid_mfa_token")
		a.do("POST", "/api/v1/auth/login/mfa", map[string]any{"mfaToken": mt}).Want(t, 400, "validation_failed")
		a.do("POST", "/api/v1/auth/login/mfa", map[string]any{"mfaToken": mt, "code": "123456", "recoveryCode": "abcde-fghij"}).Want(t, 400, "validation_failed")
		lastStep = currentStep()
		session = a.loginMFA(mt, "code", codeForStep(t, secret, lastStep)).Want(t, 200)
		checkSession(t, session)
		if session.Cookies["access_token"] == nil || session.Cookies["refresh_token"] == nil {
			t.Fatalf("no cookies on the MFA session: %v", session.Cookies)
		}
		if u := session.Body["user"].(map[string]any); u["mfaEnabled"] != true {
			t.Fatalf("user %v", u)
		}
		a.loginMFA(mt, "code", codeAt(t, secret, 1)).Want(t, 401, "invalid_mfa_token") // spent
		other := mfaToken(t, a, "jane@example.com")
		a.loginMFA(other, "code", codeForStep(t, secret, lastStep)).Want(t, 401, "invalid_code") // the same step again
	})

	t.Run("a session started with MFA refreshes, and its list shows nothing secret", func(t *testing.T) {
		r := a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": session.Str("refreshToken")}).Want(t, 200)
		checkSession(t, r)
		l := a.do("GET", "/api/v1/users/me/sessions", nil, testkit.Bearer(r.Str("accessToken"))).Want(t, 200)
		for _, s := range append([]string{secret}, recovery...) {
			if strings.Contains(l.Raw, s) {
				t.Fatalf("session list shows a secret: %s", l.Raw)
			}
		}
	})

	t.Run("five wrong codes void the token", func(t *testing.T) {
		awayFromStepEdge(t)
		mt := mfaToken(t, a, "jane@example.com")
		for range 5 {
			a.loginMFA(mt, "code", wrongCode(t, secret)).Want(t, 401, "invalid_code")
		}
		a.loginMFA(mt, "code", codeAt(t, secret, 0)).Want(t, 401, "invalid_mfa_token")
		a.loginMFA(mt, "recoveryCode", recovery[9]).Want(t, 401, "invalid_mfa_token")
	})

	t.Run("a recovery code signs in once, and the notice says how many remain", func(t *testing.T) {
		r := a.loginMFA(mfaToken(t, a, "jane@example.com"), "recoveryCode", strings.ToUpper(recovery[0])).Want(t, 200)
		checkSession(t, r)
		a.waitForMail("jane@example.com", regexp.MustCompile(`9 unused recovery codes remain`))
		a.loginMFA(mfaToken(t, a, "jane@example.com"), "recoveryCode", recovery[0]).Want(t, 401, "invalid_code")
		ev := eventTypes(t, a, r.Str("accessToken"))
		if len(ev) < 3 || !slices.Contains(ev[:3], "mfa_recovery_code_used") || !slices.Contains(ev[:3], "login") {
			t.Fatalf("events %v", ev)
		}
		tok = r.Str("accessToken")
	})

	t.Run("regenerating needs the password and voids the old codes", func(t *testing.T) {
		a.do("POST", "/api/v1/users/me/mfa/recovery-codes", map[string]any{"password": "wrong password"}, testkit.Bearer(tok)).Want(t, 403, "invalid_current_password")
		r := a.do("POST", "/api/v1/users/me/mfa/recovery-codes", map[string]any{"password": pw}, testkit.Bearer(tok)).Want(t, 200)
		fresh := stringsOf(t, r.Body["recoveryCodes"])
		if len(fresh) != 10 || slices.Contains(fresh, recovery[1]) {
			t.Fatalf("fresh codes %v", fresh)
		}
		a.loginMFA(mfaToken(t, a, "jane@example.com"), "recoveryCode", recovery[1]).Want(t, 401, "invalid_code")
		a.loginMFA(mfaToken(t, a, "jane@example.com"), "recoveryCode", fresh[5]).Want(t, 200)
		recovery = fresh
		a.waitForMail("jane@example.com", regexp.MustCompile(`new recovery codes were just made`))
	})

	t.Run("a password reset leaves MFA on", func(t *testing.T) {
		a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "jane@example.com"}).Want(t, 202)
		link := a.waitForMail("jane@example.com", regexp.MustCompile(`reset-password\?token=([A-Za-z0-9_-]+)`))
		a.do("POST", "/api/v1/auth/password/reset", map[string]any{"token": link, "newPassword": pw + " two"}).Want(t, 200)
		r := a.login("jane@example.com", pw+" two").Want(t, 200)
		if r.Body["mfaRequired"] != true {
			t.Fatalf("MFA off after a reset: %s", r.Raw)
		}
		tok = a.loginMFA(r.Str("mfaToken"), "recoveryCode", recovery[2]).Want(t, 200).Str("accessToken")
	})

	t.Run("switching off needs the password and a fresh code", func(t *testing.T) {
		awayFromStepEdge(t)
		off := func(password, code string) *testkit.Reply {
			return a.do("DELETE", "/api/v1/users/me/mfa/totp", map[string]any{"password": password, "code": code}, testkit.Bearer(tok))
		}
		off("wrong password", codeAt(t, secret, 0)).Want(t, 403, "invalid_current_password")
		off(pw+" two", wrongCode(t, secret)).Want(t, 400, "invalid_code")
		off(pw+" two", codeForStep(t, secret, lastStep)).Want(t, 400, "invalid_code") // used at login above
		// The step after the last one used: the next step when no time has
		// passed, which the window accepts, else the current one.
		off(pw+" two", codeForStep(t, secret, max(lastStep+1, currentStep()))).Want(t, 204)
		r := a.login("jane@example.com", pw+" two").Want(t, 200)
		checkSession(t, r)
		if r.Body["user"].(map[string]any)["mfaEnabled"] != false {
			t.Fatalf("user %s", r.Raw)
		}
		off(pw+" two", codeAt(t, secret, 1)).Want(t, 409, "conflict")
		a.do("POST", "/api/v1/users/me/mfa/recovery-codes", map[string]any{"password": pw + " two"}, testkit.Bearer(r.Str("accessToken"))).Want(t, 409, "conflict")
		a.waitForMail("jane@example.com", regexp.MustCompile(`multi-factor sign-in was just switched off`))
		ev := eventTypes(t, a, r.Str("accessToken"))
		for _, want := range []string{"mfa_enabled", "mfa_disabled", "mfa_recovery_codes_regenerated", "mfa_recovery_code_used"} {
			if !slices.Contains(ev, want) {
				t.Fatalf("no %s in %v", want, ev)
			}
		}
	})

	t.Run("no secret reaches the log or a notice", func(t *testing.T) {
		logs := a.logs.String()
		for _, s := range append([]string{secret}, recovery...) {
			if strings.Contains(logs, s) {
				t.Fatalf("the log holds a secret %q", s)
			}
		}
		for _, m := range a.mailsTo("jane@example.com") {
			if strings.Contains(m, "ulti-factor") || strings.Contains(m, "recovery code") {
				for _, s := range append([]string{secret}, recovery...) {
					if strings.Contains(m, s) {
						t.Fatalf("a notice holds a secret:\n%s", m)
					}
				}
			}
		}
	})
}

func TestMFATokenExpires(t *testing.T) {
	t.Parallel()
	// The token's lifetime passes on the app's clock; the TOTP codes the test
	// computes keep to the real time, which the clock stays within a second of.
	clock := &testkit.ShiftedClock{}
	a := startMFAApp(t, nil, func(c *Config) { c.MFATokenTTL = 300 * time.Millisecond; c.Clock = clock })
	tok := a.registerVerified("exp@example.com").Str("accessToken")
	secret, _ := enrolMFA(t, a, tok)
	awayFromStepEdge(t)
	mt := mfaToken(t, a, "exp@example.com")
	clock.Advance(time.Second) // past the token's 300ms, still in the code's step (awayFromStepEdge leaves 3s)
	a.loginMFA(mt, "code", codeAt(t, secret, 0)).Want(t, 401, "invalid_mfa_token")
	awayFromStepEdge(t)
	a.loginMFA(mfaToken(t, a, "exp@example.com"), "code", codeAt(t, secret, 0)).Want(t, 200)
}

func TestMFAWrongCodesCountAsFailedLogins(t *testing.T) {
	t.Parallel()
	a := startMFAApp(t, map[string]string{"AUTH_LOGIN_MAX_FAILURES": "3"}, nil)
	tok := a.registerVerified("lock@example.com").Str("accessToken")
	secret, _ := enrolMFA(t, a, tok)
	awayFromStepEdge(t)
	for range 3 {
		// A right password never clears the count of an MFA account: each token
		// brings new guesses, the account limit holds across them.
		a.loginMFA(mfaToken(t, a, "lock@example.com"), "code", wrongCode(t, secret)).Want(t, 401, "invalid_code")
	}
	r := a.login("lock@example.com", pw).Want(t, 429, "rate_limited")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

func TestAdminResetsMFA(t *testing.T) {
	t.Parallel()
	a := startMFAApp(t, nil, nil)
	a.registerVerified("root@example.com")
	bob := a.registerVerified("bob@example.com")
	bobID := bob.Body["user"].(map[string]any)["id"].(string)
	_, _ = enrolMFA(t, a, bob.Str("accessToken"))
	admin := a.makeAdmin("root@example.com")

	a.do("DELETE", "/api/v1/admin/users/"+bobID+"/mfa", nil, testkit.Bearer(bob.Str("accessToken"))).Want(t, 403, "forbidden")
	a.do("DELETE", "/api/v1/admin/users/"+bobID+"/mfa", nil).Want(t, 401, "unauthenticated")
	a.do("DELETE", "/api/v1/admin/users/0193a1b2-0000-7000-8000-000000000099/mfa", nil, testkit.Bearer(admin)).Want(t, 404, "not_found")
	if u := a.do("GET", "/api/v1/admin/users/"+bobID, nil, testkit.Bearer(admin)).Want(t, 200); u.Body["mfaEnabled"] != true {
		t.Fatalf("admin user %s", u.Raw)
	}
	a.do("DELETE", "/api/v1/admin/users/"+bobID+"/mfa", nil, testkit.Bearer(admin)).Want(t, 204)
	checkSession(t, a.login("bob@example.com", pw).Want(t, 200))
	a.do("DELETE", "/api/v1/admin/users/"+bobID+"/mfa", nil, testkit.Bearer(admin)).Want(t, 204) // already off: nothing to do
	ev := a.do("GET", "/api/v1/admin/users/"+bobID+"/events?limit=100", nil, testkit.Bearer(admin)).Want(t, 200)
	found := false
	for _, e := range ev.Body["events"].([]any) {
		m := e.(map[string]any)
		if m["type"] == "mfa_reset" {
			found = m["actorId"] != nil && m["actorId"] != ""
		}
	}
	if !found {
		t.Fatalf("no mfa_reset with actorId in %s", ev.Raw)
	}
	a.waitForMail("bob@example.com", regexp.MustCompile(`an administrator just switched multi-factor sign-in off`))
}
