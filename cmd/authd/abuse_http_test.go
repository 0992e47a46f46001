package main

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"authd/internal/testkit"
)

// The abuse limits of the contract, black-box: each rule on a fresh instance
// (embedded, or MySQL + memcached with AUTH_TEST_BACKEND=mysql).

// retryAfter reads the Retry-After of a 429 and checks its bounds.
func retryAfter(t *testing.T, r *testkit.Reply, most time.Duration) int {
	t.Helper()
	r.Want(t, 429, "rate_limited")
	n, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || n < 1 || time.Duration(n)*time.Second > most {
		t.Fatalf("Retry-After %q, want whole seconds from 1 to %s", r.Header.Get("Retry-After"), most)
	}
	if r.Body["status"] != "fail" || r.Body["statusCode"] != float64(429) || r.Str("message") == "" {
		t.Fatalf("body %s", r.Raw)
	}
	return n
}

func TestAccountLoginLimit(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_LOGIN_MAX_FAILURES": "3"})
	a.registerVerified("jane@example.com")

	t.Run("the right password is refused once the account has failed the limit, with Retry-After", func(t *testing.T) {
		for range 3 {
			a.login("jane@example.com", "wrong password").Want(t, 401, "invalid_credentials")
		}
		retryAfter(t, a.login("jane@example.com", pw), 16*time.Minute)
		retryAfter(t, a.login("JANE@example.com ", pw), 16*time.Minute) // the normalised email is the key
	})

	t.Run("the owner gets one unusual sign-in notice, without a link or secret", func(t *testing.T) {
		notice := regexp.MustCompile(`Subject: (Unusual sign-in attempts[^\n]*)`)
		a.waitForMail("jane@example.com", notice)
		for range 3 {
			a.login("jane@example.com", "wrong password").Want(t, 429, "rate_limited")
		}
		// Mail leaves in order: once a later mail is out, a second notice would be too.
		a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "jane@example.com"}).Want(t, 202)
		a.waitForMail("jane@example.com", resetLinkRe)
		mail := a.mail.String()
		if n := strings.Count(mail, "Subject: Unusual sign-in attempts"); n != 1 {
			t.Fatalf("%d notices, want 1", n)
		}
		block := mail[strings.Index(mail, "Subject: Unusual sign-in attempts"):]
		block = block[:strings.Index(block, "----- end of mail -----")]
		if strings.Contains(block, "http") {
			t.Fatalf("the notice carries a link:\n%s", block)
		}
	})

	t.Run("a locked account can reset its password, and the reset clears the count", func(t *testing.T) {
		tok := a.waitForMail("jane@example.com", resetLinkRe)
		a.do("POST", "/api/v1/auth/password/reset", map[string]any{"token": tok, "newPassword": "brand new password"}).Want(t, 200)
		a.login("jane@example.com", "brand new password").Want(t, 200)
	})

	t.Run("a successful login clears the count", func(t *testing.T) {
		for range 2 {
			a.login("jane@example.com", "wrong password").Want(t, 401)
		}
		a.login("jane@example.com", "brand new password").Want(t, 200)
		for range 3 {
			a.login("jane@example.com", "wrong password").Want(t, 401, "invalid_credentials")
		}
	})
}

func TestLoginLimitTellsNothingAboutTheAccount(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_LOGIN_MAX_FAILURES": "2"})
	a.registerVerified("jane@example.com")
	for range 2 {
		k := a.login("jane@example.com", "wrong password")
		u := a.login("nobody@example.com", "wrong password")
		if k.Status != u.Status || k.Raw != u.Raw {
			t.Fatalf("below the limit: %d %s vs %d %s", k.Status, k.Raw, u.Status, u.Raw)
		}
	}
	// At the limit: the same status, body and headers. Retry-After is whole
	// seconds of the same window end, so it can only differ when the two
	// requests straddle a second; then the pair is asked again (refused
	// requests change nothing).
	for try := 0; ; try++ {
		k := a.login("jane@example.com", pw)
		u := a.login("nobody@example.com", pw)
		retryAfter(t, k, 16*time.Minute)
		retryAfter(t, u, 16*time.Minute)
		diff := headerDiff(k.Header, u.Header, "Date", "X-Request-Id")
		if k.Raw == u.Raw && diff == "" {
			return
		}
		if try == 3 || diff != "Retry-After" {
			t.Fatalf("known and unknown differ at the limit: %s vs %s; headers differ in %q", k.Raw, u.Raw, diff)
		}
	}
}

// headerDiff names the first header that differs between a and b, ignoring skip.
func headerDiff(a, b http.Header, skip ...string) string {
	ignored := map[string]bool{}
	for _, s := range skip {
		ignored[http.CanonicalHeaderKey(s)] = true
	}
	for _, pair := range [][2]http.Header{{a, b}, {b, a}} {
		for k, v := range pair[0] {
			if !ignored[k] && strings.Join(v, ",") != strings.Join(pair[1][k], ",") {
				return k
			}
		}
	}
	return ""
}

func TestParallelWrongLoginsNeverPassTheLimit(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil) // the default limit of 10
	a.registerVerified("jane@example.com")
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			r := a.do("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": "wrong password"})
			mu.Lock()
			codes[r.Status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[401] != 10 || codes[429] != 10 {
		t.Fatalf("answers %v, want 10 × 401 and 10 × 429", codes)
	}
}

func TestAccountLockEndsWhenFailuresLeaveTheWindow(t *testing.T) {
	t.Parallel()
	a, clock := startAppOnClock(t, map[string]string{"AUTH_LOGIN_MAX_FAILURES": "1"})
	a.registerVerified("jane@example.com")
	a.login("jane@example.com", "wrong password").Want(t, 401)
	wait := time.Duration(retryAfter(t, a.login("jane@example.com", pw), 16*time.Minute)) * time.Second
	if wait < 15*time.Minute-time.Second {
		t.Fatalf("Retry-After %s, want about the window of 15m", wait)
	}
	clock.Advance(wait - time.Second) // Retry-After never overstates: a second before it, still locked
	a.login("jane@example.com", pw).Want(t, 429, "rate_limited")
	clock.Advance(2 * time.Second)
	a.login("jane@example.com", pw).Want(t, 200)
}

func TestIPFailureLimit(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_IP_MAX_FAILURES": "3"})
	s := a.registerVerified("jane@example.com")

	// One failure of each kind: a login, a verification token, a reset token.
	a.login("someone@example.com", "wrong password").Want(t, 401)
	a.do("GET", "/api/v1/auth/email/verify/not-a-real-token", nil).Want(t, 400, "invalid_verification_token")
	a.do("POST", "/api/v1/auth/password/reset", map[string]any{"token": "not-a-real-token", "newPassword": "brand new password"}).
		Want(t, 400, "invalid_reset_token")

	retryAfter(t, a.login("jane@example.com", pw), 16*time.Minute)
	retryAfter(t, a.do("POST", "/api/v1/auth/email/verify", map[string]any{"token": "another"}), 16*time.Minute)
	retryAfter(t, a.do("GET", "/api/v1/auth/email/verify/another", nil), 16*time.Minute)
	retryAfter(t, a.do("POST", "/api/v1/auth/password/reset", map[string]any{"email": "jane@example.com", "otp": "123456",
		"newPassword": "brand new password"}), 16*time.Minute)
	// An authenticated read is never limited.
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 200)
}

func TestIPMailRate(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_IP_MAIL_RATE": "3"})
	a.do("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": pw}).Want(t, 201)
	a.do("POST", "/api/v1/auth/email/resend", map[string]any{"email": "jane@example.com"}).Want(t, 202)
	a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "nobody@example.com"}).Want(t, 202)
	retryAfter(t, a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "jane@example.com"}), time.Hour+5*time.Minute)
	retryAfter(t, a.do("POST", "/api/v1/auth/register", map[string]any{"email": "joe@example.com", "password": pw}), time.Hour+5*time.Minute)
	retryAfter(t, a.do("POST", "/api/v1/auth/email/resend", map[string]any{"email": "jane@example.com"}), time.Hour+5*time.Minute)
	// The refused registration changed nothing.
	a.login("joe@example.com", pw).Want(t, 401, "invalid_credentials")
}

func TestResendMailsOneAccountFiveTimesAnHour(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	a.do("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": pw}).Want(t, 201)
	for range 7 {
		a.do("POST", "/api/v1/auth/email/resend", map[string]any{"email": "jane@example.com"}).Want(t, 202)
	}
	// Mail leaves in order: once the reset mail is out, every verification mail queued before it is too.
	a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "jane@example.com"}).Want(t, 202)
	a.waitForMail("jane@example.com", resetLinkRe)
	if n := len(linkRe.FindAllString(a.mail.String(), -1)); n != 1+5 {
		t.Fatalf("%d verification mails, want the sign-up one and 5 resends", n)
	}
}

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	xff := func(ip string) testkit.Opt { return testkit.Header("X-Forwarded-For", ip) }

	t.Run("without trusted proxies a rotating X-Forwarded-For is still one IP", func(t *testing.T) {
		t.Parallel()
		a := startApp(t, "", map[string]string{"AUTH_IP_MAX_FAILURES": "2"})
		for i := range 2 {
			a.do("POST", "/api/v1/auth/login", map[string]any{"email": "x@example.com", "password": "wrong password"},
				xff("198.51.100."+strconv.Itoa(i))).Want(t, 401)
		}
		retryAfter(t, a.do("POST", "/api/v1/auth/login", map[string]any{"email": "y@example.com", "password": "wrong password"},
			xff("198.51.100.99")), 16*time.Minute)
	})

	t.Run("behind a trusted proxy each forwarded client counts apart, and sessions show its IP", func(t *testing.T) {
		t.Parallel()
		a := startApp(t, "", map[string]string{"AUTH_IP_MAX_FAILURES": "2", "AUTH_TRUSTED_PROXIES": "127.0.0.0/8, ::1"})
		for range 2 {
			a.do("POST", "/api/v1/auth/login", map[string]any{"email": "x@example.com", "password": "wrong password"},
				xff("203.0.113.5, 6.6.6.6")).Want(t, 401)
		}
		retryAfter(t, a.do("POST", "/api/v1/auth/login", map[string]any{"email": "x@example.com", "password": "wrong password"},
			xff("203.0.113.77, 6.6.6.6")), 16*time.Minute)
		a.do("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": pw}, xff("203.0.113.8")).Want(t, 201)
		a.do("GET", "/api/v1/auth/email/verify/"+a.verifyLink("jane@example.com"), nil, xff("203.0.113.8")).Want(t, 200)
		s := a.do("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": pw}, xff("203.0.113.8")).Want(t, 200)
		list := a.do("GET", "/api/v1/users/me/sessions", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 200)
		if !strings.Contains(list.Raw, `"ip":"203.0.113.8"`) {
			t.Fatalf("session list %s, want the forwarded client's IP", list.Raw)
		}
		if !strings.Contains(a.logs.String(), "ip=203.0.113.8") {
			t.Fatal("the request log does not show the derived client IP")
		}
	})
}

func TestLimitsSwitchOffAtZero(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_LOGIN_MAX_FAILURES": "0", "AUTH_IP_MAX_FAILURES": "0", "AUTH_IP_MAIL_RATE": "0"})
	a.registerVerified("jane@example.com")
	for range 12 {
		a.login("jane@example.com", "wrong password").Want(t, 401)
	}
	a.login("jane@example.com", pw).Want(t, 200)
	for i := range 35 {
		a.do("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "n" + strconv.Itoa(i) + "@example.com"}).Want(t, 202)
	}
}

func TestLimitConfiguration(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"AUTH_LOGIN_MAX_FAILURES", "-1"},
		{"AUTH_LOGIN_FAILURE_WINDOW", "soon"},
		{"AUTH_IP_MAX_FAILURES", "many"},
		{"AUTH_IP_MAIL_RATE", "1.5"},
		{"AUTH_TRUSTED_PROXIES", "10.0.0.0/33"},
	} {
		_, err := LoadConfig(testEnv(t.TempDir(), map[string]string{tc.name: tc.value}))
		if err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s=%s: %v, want an error naming the variable", tc.name, tc.value, err)
		}
	}
}

func TestConfigSecretsRedactThemselves(t *testing.T) {
	cfg, err := LoadConfig(testEnv(t.TempDir(), map[string]string{
		"AUTH_JWT_ALG": "HS256", "AUTH_JWT_SECRET": "jwt-secret-jwt-secret-jwt-secret-0001",
		"AUTH_HMAC_SECRET": "hmac-secret-hmac-secret-hmac-secret-01", "AUTH_SMTP_PASSWORD": "smtp-password-01",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		for _, secret := range []string{"jwt-secret", "hmac-secret", "smtp-password"} {
			if strings.Contains(form, secret) {
				t.Fatalf("a printed configuration shows %s:\n%s", secret, form)
			}
		}
	}
}
