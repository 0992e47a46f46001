package httpapi

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
	"authd/internal/testkit"
	"authd/ports"
)

type stubRegistration struct{ withSession bool }

func (r stubRegistration) Register(_ context.Context, in ports.RegisterInput) (ports.RegisterResult, error) {
	if in.Email == "taken@example.com" {
		return ports.RegisterResult{}, domain.ErrEmailTaken
	}
	res := ports.RegisterResult{User: testUser}
	if r.withSession {
		tokens, _ := stubLogin{}.Login(context.Background(), ports.LoginInput{Password: "correct horse"})
		res.Session = &tokens
	}
	return res, nil
}

func TestUserResponse(t *testing.T) {
	t.Parallel()
	got, _ := json.Marshal(newUserResponse(testUser))
	want := `{"id":"0193a1b2-0000-7000-8000-000000000001","email":"jane@example.com","firstName":"Jane","lastName":null,` +
		`"phone":"+14155550100","gender":null,"profileImage":null,"role":"customer","emailVerified":true,"mfaEnabled":false,` +
		`"createdAt":"2025-01-02T02:04:05Z","updatedAt":"2025-01-02T03:04:05.123Z"}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	for _, withSession := range []bool{false, true} {
		svc := testServices()
		svc.Registration = stubRegistration{withSession: withSession}
		s, _ := newTestServer(t, Config{}, svc)

		resp, body := send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/register",
			`{"email":"jane@example.com","password":"correct horse","firstName":null,"role":"customer"}`))
		if resp.StatusCode != 201 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		var got map[string]any
		_ = json.Unmarshal(body, &got)
		if got["message"] != msgRegistered || got["user"].(map[string]any)["email"] != "jane@example.com" {
			t.Fatalf("body %s", body)
		}
		_, hasToken := got["accessToken"]
		if hasToken != withSession || (len(resp.Cookies()) == 2) != withSession {
			t.Fatalf("withSession=%v: body %s, cookies %v", withSession, body, resp.Cookies())
		}
		if withSession && (got["tokenType"] != "Bearer" || got["expiresIn"] != float64(900) || got["refreshToken"] != "refresh-secret") {
			t.Fatalf("session fields: %s", body)
		}
		if strings.Contains(string(body), "argon2") {
			t.Fatal("the password hash leaked")
		}
	}

	svc := testServices()
	svc.Registration = stubRegistration{}
	s, _ := newTestServer(t, Config{}, svc)
	resp, body := send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/register", `{"email":"taken@example.com","password":"x"}`))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 409 || p.Code != "email_taken" {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
	resp, body = send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/register", `{"email":"a@b.c","password":"x","emailVerified":true}`))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 400 || p.Errors[0].Field != "emailVerified" {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
}

func TestLoginAnswersASessionWithCookies(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{CookieSecure: true}, testServices())
	resp, body := send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/login", `{"email":"jane@example.com","password":"correct horse"}`))
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got struct {
		AccessToken, RefreshToken, TokenType string
		ExpiresIn                            int
		User                                 map[string]any
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != goodToken || got.RefreshToken != "refresh-secret" || got.TokenType != "Bearer" ||
		got.ExpiresIn != 900 || got.User["id"] != string(testUser.ID) {
		t.Fatalf("body %s", body)
	}
	cookies := map[string]*http.Cookie{}
	for _, c := range resp.Cookies() {
		cookies[c.Name] = c
	}
	if a := cookies["access_token"]; a == nil || a.Value != goodToken || a.MaxAge != 900 || !a.HttpOnly || !a.Secure || a.SameSite != http.SameSiteLaxMode || a.Path != "/" {
		t.Errorf("access cookie %+v", a)
	}
	if r := cookies["refresh_token"]; r == nil || r.Value != "refresh-secret" || r.MaxAge != 604800 || !r.HttpOnly || !r.Secure || r.SameSite != http.SameSiteStrictMode || r.Path != "/api/v1/auth" {
		t.Errorf("refresh cookie %+v", r)
	}

	resp, body = send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/login", `{"email":"jane@example.com","password":"nope"}`))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 401 || p.Code != "invalid_credentials" || len(resp.Cookies()) != 0 {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
}

func TestVerifyRedirectLocation(t *testing.T) {
	t.Parallel()
	tests := []struct{ base, code, want string }{
		{"https://app.example.com/verified", "", "https://app.example.com/verified?status=verified"},
		{"https://app.example.com/verified", "invalid_verification_token", "https://app.example.com/verified?status=error&code=invalid_verification_token"},
		{"https://app.example.com/v?lang=en", "", "https://app.example.com/v?lang=en&status=verified"},
		{"https://app.example.com/v?", "", "https://app.example.com/v?status=verified"},
		{"https://app.example.com/v?lang=en#top", "internal", "https://app.example.com/v?lang=en&status=error&code=internal#top"},
		{"https://app.example.com/v", "a&b=c", "https://app.example.com/v?status=error&code=a%26b%3Dc"},
	}
	for _, tt := range tests {
		base, err := url.Parse(tt.base)
		if err != nil {
			t.Fatal(err)
		}
		if got := verifyRedirectLocation(base, "verified", tt.code); got != tt.want {
			t.Errorf("verifyRedirectLocation(%q, %q) = %q, want %q", tt.base, tt.code, got, tt.want)
		}
	}
}

func TestVerifyEmailLink(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{}, testServices())
	resp, body := send(t, s, testkit.NewRequest(http.MethodGet, "/api/v1/auth/email/verify/good-token", ""))
	if resp.StatusCode != 200 || string(body) != `{"message":"email verified"}` {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
	resp, body = send(t, s, testkit.NewRequest(http.MethodGet, "/api/v1/auth/email/verify/used-token", ""))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 400 || p.Code != "invalid_verification_token" {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}

	s, logs := newTestServer(t, Config{VerifyRedirectURL: "https://app.example.com/done?from=mail"}, testServices())
	for token, want := range map[string]string{
		"good-token": "https://app.example.com/done?from=mail&status=verified",
		"used-token": "https://app.example.com/done?from=mail&status=error&code=invalid_verification_token",
		"broken-db":  "https://app.example.com/done?from=mail&status=error&code=dependency_unavailable",
	} {
		resp, _ := send(t, s, testkit.NewRequest(http.MethodGet, "/api/v1/auth/email/verify/"+token, ""))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("%s: got %d Location %q", token, resp.StatusCode, resp.Header.Get("Location"))
		}
		assertSecurityHeaders(t, resp)
	}
	if !strings.Contains(logs.String(), `"msg":"request failed"`) || strings.Contains(logs.String(), "used-token") {
		t.Fatalf("the 5xx behind a redirect must be logged, tokens never: %s", logs)
	}
}

func TestVerifyEmailByBody(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{}, testServices())
	tests := []struct {
		body   string
		status int
		code   string
	}{
		{`{"token":"good-token"}`, 200, ""},
		{`{"token":"used-token"}`, 400, "invalid_verification_token"},
		{`{}`, 400, "validation_failed"},
		{`{"token":""}`, 400, "validation_failed"},
		{`{"token":123}`, 400, "validation_failed"},
	}
	for _, tt := range tests {
		resp, body := send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/email/verify", tt.body))
		if resp.StatusCode != tt.status {
			t.Fatalf("%s: got %d %s", tt.body, resp.StatusCode, body)
		}
		if tt.code == "" {
			if string(body) != `{"message":"email verified"}` {
				t.Fatalf("%s: body %s", tt.body, body)
			}
			continue
		}
		if p := decodeProblem(t, resp, body); p.Code != tt.code || (tt.code == "validation_failed" && p.Errors[0].Field != "token") {
			t.Fatalf("%s: body %s", tt.body, body)
		}
	}
}

func TestResendAnswersTheSameForEveryWellFormedEmail(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{}, testServices())
	for _, email := range []string{"jane@example.com", "nobody@example.com"} {
		resp, body := send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/email/resend", `{"email":"`+email+`"}`))
		if resp.StatusCode != 202 || string(body) != `{"message":"`+msgVerificationResent+`"}` {
			t.Fatalf("%s: got %d %s", email, resp.StatusCode, body)
		}
	}
	resp, body := send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/email/resend", `{"email":"not-an-email"}`))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 400 || p.Code != "validation_failed" {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{}, testServices())
	req := testkit.NewRequest(http.MethodGet, "/api/v1/users/me", "")
	req.Header.Set("Authorization", "Bearer "+goodToken)
	resp, body := send(t, s, req)
	want, _ := json.Marshal(newUserResponse(testUser))
	if resp.StatusCode != 200 || string(body) != string(want) || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
}

func TestUpdateMeTellsAbsentFromNullFromEmpty(t *testing.T) {
	t.Parallel()
	svc := testServices()
	profile := &stubProfile{}
	svc.Profile = profile
	s, _ := newTestServer(t, Config{}, svc)
	patch := func(body string) (*http.Response, []byte) {
		req := testkit.NewRequest(http.MethodPatch, "/api/v1/users/me", body)
		req.AddCookie(&http.Cookie{Name: "access_token", Value: goodToken})
		return send(t, s, req)
	}

	resp, body := patch(`{"firstName":null,"lastName":"","gender":"female"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
	p := profile.lastPatch()
	if p.FirstName == nil || *p.FirstName != "" || p.LastName == nil || *p.LastName != "" ||
		p.Gender == nil || *p.Gender != "female" || p.Phone != nil || p.ProfileImage != nil {
		t.Fatalf("patch %+v", p)
	}
	var u map[string]any
	_ = json.Unmarshal(body, &u)
	if u["firstName"] != nil || u["gender"] != "female" || u["phone"] != "+14155550100" {
		t.Fatalf("user %s", body)
	}

	for _, forbidden := range []string{"email", "password", "role", "id", "emailVerified", "FirstName"} {
		before := profile.lastPatch()
		resp, body := patch(`{"gender":"x","` + forbidden + `":"y"}`)
		pr := decodeProblem(t, resp, body)
		if resp.StatusCode != 400 || pr.Code != "validation_failed" || len(pr.Errors) != 1 || pr.Errors[0].Field != forbidden {
			t.Fatalf("%s: got %d %s", forbidden, resp.StatusCode, body)
		}
		if profile.lastPatch() != before {
			t.Fatalf("%s: the profile service was called", forbidden)
		}
	}

	resp, body = patch(`{"phone":"12345"}`)
	if pr := decodeProblem(t, resp, body); resp.StatusCode != 400 || pr.Errors[0].Field != "phone" {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
}

func TestHealthzAndJWKS(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{}, testServices())
	resp, body := send(t, s, testkit.NewRequest(http.MethodGet, "/healthz", ""))
	if resp.StatusCode != 200 || string(body) != `{"status":"ok","version":"dev"}` {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	resp, body = send(t, s, testkit.NewRequest(http.MethodGet, "/.well-known/jwks.json", ""))
	if resp.StatusCode != 200 || string(body) != `{"keys":[]}` || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("jwks: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	ok := pingerFunc(func(context.Context) error { return nil })
	down := pingerFunc(func(context.Context) error { return errSecretDriverText })
	var inFlight, peak atomic.Int32
	slow := pingerFunc(func(ctx context.Context) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		select {
		case <-time.After(50 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})

	tests := []struct {
		name    string
		checks  []Check
		status  int
		body    string
		message string
	}{
		{"all dependencies answer", []Check{{"database", ok}}, 200, `{"checks":{"database":"ok"},"status":"ok"}`, ""},
		{"pings run concurrently", []Check{{"database", slow}, {"denylist", slow}}, 200, `{"checks":{"database":"ok","denylist":"ok"},"status":"ok"}`, ""},
		{"a failing dependency is named", []Check{{"database", down}, {"denylist", ok}}, 503, "", "database unavailable"},
		{"every failing dependency is named", []Check{{"database", down}, {"denylist", down}}, 503, "", "database, denylist unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := testServices()
			svc.Readiness = tt.checks
			s, logs := newTestServer(t, Config{}, svc)
			resp, body := send(t, s, testkit.NewRequest(http.MethodGet, "/readyz", ""))
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
			if tt.status == 200 {
				if string(body) != tt.body {
					t.Fatalf("body %s", body)
				}
				return
			}
			p := decodeProblem(t, resp, body)
			if p.Code != "dependency_unavailable" || p.Message != tt.message || strings.Contains(string(body), "sqlite") {
				t.Fatalf("body %s", body)
			}
			if !strings.Contains(logs.String(), "disk I/O error") {
				t.Fatalf("the ping error must be logged: %s", logs)
			}
		})
	}
	if peak.Load() != 2 {
		t.Errorf("peak concurrent pings = %d, want 2", peak.Load())
	}
}

// TestShutdownLetsInFlightRequestsFinish runs the server on a real listener.
func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{}, testServices())
	started := make(chan struct{})
	release := make(chan struct{})
	router{s.App()}.get("/slow", func(c *fiber.Ctx) error {
		close(started)
		<-release
		return c.SendString("done")
	})
	ln := mustListen(t)
	served := make(chan error, 1)
	go func() { served <- s.Listen(ln) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b := make([]byte, 16)
		n, _ := resp.Body.Read(b)
		got <- string(b[:n])
	}()
	<-started

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdown <- s.Shutdown(ctx)
	}()
	// Let Shutdown close the listener first: poll until new connections are refused.
	testkit.Eventually(t, 5*time.Second, func() bool {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err != nil
	}, "condition not met in time")
	close(release)

	if body := <-got; body != "done" {
		t.Fatalf("in-flight request got %q", body)
	}
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Listen: %v", err)
	}
	if resp, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("server still accepts after Shutdown")
	}
}
