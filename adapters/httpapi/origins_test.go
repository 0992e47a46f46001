package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"authd/internal/testkit"
)

func TestNormalizeOrigin(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://app.example.com":        "https://app.example.com",
		"HTTPS://App.Example.COM":        "https://app.example.com",
		"https://app.example.com:443":    "https://app.example.com",
		"http://app.example.com:80":      "http://app.example.com",
		"http://localhost:3000":          "http://localhost:3000",
		"https://app.example.com:80":     "https://app.example.com:80",
		"https://app.example.com/":       "https://app.example.com",
		"https://auth.example.com/base/": "https://auth.example.com", // a public URL may have a path
		"http://[::1]:8080":              "http://[::1]:8080",
		"null":                           "",
		"":                               "",
		"ftp://app.example.com":          "",
		"app.example.com":                "",
		"https://":                       "",
	} {
		if got := normalizeOrigin(in); got != want {
			t.Errorf("normalizeOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOriginHeaderMustBeABareOrigin(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://app.example.com":          "https://app.example.com",
		"https://APP.example.com:443":      "https://app.example.com",
		"null":                             "",
		"https://app.example.com/":         "",
		"https://app.example.com/x":        "",
		"https://app.example.com?x":        "",
		"https://app.example.com#x":        "",
		"https://evil@app.example.com":     "",
		"https://app.example.com.evil.com": "https://app.example.com.evil.com",
		"https://app.example.com ":         "",
	} {
		if got := originOfHeader(in); got != want {
			t.Errorf("originOfHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

// Origins of the CSRF and CORS tests: the service runs at ownOrigin and lets the
// front end at appOrigin call it with credentials.
const (
	ownOrigin     = "https://auth.example.com"
	appOrigin     = "https://app.example.com"
	foreignOrigin = "https://evil.example.net"
)

func originConfig() Config {
	return Config{PublicURL: ownOrigin + "/", CORSOrigins: []string{appOrigin, "http://localhost:5173"}}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	const change = `{"currentPassword":"correct horse","newPassword":"battery staple"}`
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		opts   []testkit.Opt
		status int
		calls  func(*sessionStubs) int // calls of the service behind the route
	}{
		{"a cookie PATCH from a foreign origin is refused", http.MethodPatch, "/api/v1/users/me", `{"gender":"x"}`,
			[]testkit.Opt{accessCookieOf(goodToken), origin(foreignOrigin)}, 403, profileCalls},
		{"a cookie PATCH from the service's own origin passes", http.MethodPatch, "/api/v1/users/me", `{"gender":"x"}`,
			[]testkit.Opt{accessCookieOf(goodToken), origin(ownOrigin)}, 200, profileCalls},
		{"the own origin is compared normalised", http.MethodPatch, "/api/v1/users/me", `{"gender":"x"}`,
			[]testkit.Opt{accessCookieOf(goodToken), origin("HTTPS://Auth.Example.com:443")}, 200, profileCalls},
		{"a cookie PATCH from an allowed CORS origin passes", http.MethodPatch, "/api/v1/users/me", `{"gender":"x"}`,
			[]testkit.Opt{accessCookieOf(goodToken), origin("http://localhost:5173")}, 200, profileCalls},
		{"a cookie PATCH without Origin passes", http.MethodPatch, "/api/v1/users/me", `{"gender":"x"}`,
			[]testkit.Opt{accessCookieOf(goodToken)}, 200, profileCalls},
		{"Origin null is foreign", http.MethodPatch, "/api/v1/users/me", `{"gender":"x"}`,
			[]testkit.Opt{accessCookieOf(goodToken), origin("null")}, 403, profileCalls},
		{"another port of the own host is foreign", http.MethodPatch, "/api/v1/users/me", `{"gender":"x"}`,
			[]testkit.Opt{accessCookieOf(goodToken), origin(ownOrigin + ":8443")}, 403, profileCalls},
		{"another scheme of the own host is foreign", http.MethodPatch, "/api/v1/users/me", `{"gender":"x"}`,
			[]testkit.Opt{accessCookieOf(goodToken), origin("http://auth.example.com")}, 403, profileCalls},
		{"a look-alike host is foreign", http.MethodPatch, "/api/v1/users/me", `{"gender":"x"}`,
			[]testkit.Opt{accessCookieOf(goodToken), origin("https://auth.example.com.evil.example.net")}, 403, profileCalls},
		{"a bearer PATCH from a foreign origin is not CSRF-checked", http.MethodPatch, "/api/v1/users/me", `{"gender":"x"}`,
			[]testkit.Opt{testkit.Bearer(goodToken), accessCookieOf(goodToken), origin(foreignOrigin)}, 200, profileCalls},
		{"a cookie GET from a foreign origin is safe", http.MethodGet, "/api/v1/users/me/sessions", "",
			[]testkit.Opt{accessCookieOf(goodToken), origin(foreignOrigin)}, 200, nil},
		{"a cookie DELETE of the account from a foreign origin is refused", http.MethodDelete, "/api/v1/users/me", `{"password":"correct horse"}`,
			[]testkit.Opt{accessCookieOf(goodToken), origin(foreignOrigin)}, 403, deactivationCalls},
		{"a cookie DELETE of a session from a foreign origin is refused", http.MethodDelete, "/api/v1/users/me/sessions/sid-1", "",
			[]testkit.Opt{accessCookieOf(goodToken), origin(foreignOrigin)}, 403, revokeCalls},
		{"a cookie password change from a foreign origin is refused", http.MethodPost, "/api/v1/auth/password/change", change,
			[]testkit.Opt{accessCookieOf(goodToken), origin(foreignOrigin)}, 403, changeCalls},
		{"a cookie password change from the allowed origin passes", http.MethodPost, "/api/v1/auth/password/change", change,
			[]testkit.Opt{accessCookieOf(goodToken), origin(appOrigin)}, 200, changeCalls},
		{"a cookie refresh from a foreign origin is refused", http.MethodPost, "/api/v1/auth/refresh", "",
			[]testkit.Opt{refreshCookieOf("cookie-token"), origin(foreignOrigin)}, 403, refreshCalls},
		{"a cookie refresh from Origin null is refused", http.MethodPost, "/api/v1/auth/refresh", "",
			[]testkit.Opt{refreshCookieOf("cookie-token"), origin("null")}, 403, refreshCalls},
		{"a cookie refresh from the allowed origin passes", http.MethodPost, "/api/v1/auth/refresh", "",
			[]testkit.Opt{refreshCookieOf("cookie-token"), origin(appOrigin)}, 200, refreshCalls},
		{"a cookie refresh without Origin passes", http.MethodPost, "/api/v1/auth/refresh", "",
			[]testkit.Opt{refreshCookieOf("cookie-token")}, 200, refreshCalls},
		{"a body refresh from a foreign origin uses no cookie", http.MethodPost, "/api/v1/auth/refresh", `{"refreshToken":"body-token"}`,
			[]testkit.Opt{refreshCookieOf("cookie-token"), origin(foreignOrigin)}, 200, refreshCalls},
		{"a logout with the access cookie from a foreign origin is refused", http.MethodPost, "/api/v1/auth/logout", "",
			[]testkit.Opt{accessCookieOf(goodToken), origin(foreignOrigin)}, 403, logoutCalls},
		{"a logout with the refresh cookie from a foreign origin is refused", http.MethodPost, "/api/v1/auth/logout", "",
			[]testkit.Opt{refreshCookieOf("cookie-token"), origin(foreignOrigin)}, 403, logoutCalls},
		{"a logout falling back to the refresh cookie from a foreign origin is refused", http.MethodPost, "/api/v1/auth/logout", "",
			[]testkit.Opt{testkit.Bearer(expiredToken), refreshCookieOf("cookie-token"), origin(foreignOrigin)}, 403, logoutCalls},
		{"a bearer logout from a foreign origin is not CSRF-checked", http.MethodPost, "/api/v1/auth/logout", "",
			[]testkit.Opt{testkit.Bearer(goodToken), refreshCookieOf("cookie-token"), origin(foreignOrigin)}, 204, logoutCalls},
		{"a cookie logout from the own origin passes", http.MethodPost, "/api/v1/auth/logout", "",
			[]testkit.Opt{accessCookieOf(goodToken), origin(ownOrigin)}, 204, logoutCalls},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, _ := newSessionServer(t, originConfig())
			req := testkit.NewRequest(tt.method, tt.path, tt.body, tt.opts...)
			withBearer := req.Header.Get("Authorization") != ""
			resp, body := send(t, s, req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if tt.status == 403 {
				if p := decodeProblem(t, resp, body); p.Code != "csrf_rejected" {
					t.Fatalf("code %q", p.Code)
				}
				assertNoCookies(t, resp)
			}
			if tt.calls != nil {
				if got, want := tt.calls(st), map[bool]int{true: 0, false: 1}[tt.status == 403]; got != want {
					t.Fatalf("service called %d times, want %d", got, want)
				}
			}
			if tt.status == 403 && !withBearer && st.auth.count() != 0 {
				t.Fatal("an access cookie from a foreign origin was authenticated")
			}
		})
	}
}

func profileCalls(st *sessionStubs) int {
	if st.profile.lastPatch() == nil {
		return 0
	}
	return 1
}
func deactivationCalls(st *sessionStubs) int { return st.deactivation.count() }
func revokeCalls(st *sessionStubs) int       { return st.sessions.count() }
func changeCalls(st *sessionStubs) int       { return st.change.count() }
func refreshCalls(st *sessionStubs) int      { return st.refresh.count() }
func logoutCalls(st *sessionStubs) int       { return st.logout.count() }

// corsHeaderNames are the CORS answer headers; none may reach other origins.
var corsHeaderNames = []string{
	"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers",
	"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age",
}

func assertVaryOrigin(t *testing.T, resp *http.Response) {
	t.Helper()
	if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
		t.Errorf("Vary = %q", resp.Header.Values("Vary"))
	}
}

func assertActualCORS(t *testing.T, resp *http.Response, allowed string) {
	t.Helper()
	assertVaryOrigin(t, resp)
	if allowed == "" {
		for _, h := range corsHeaderNames {
			if v := resp.Header.Get(h); v != "" {
				t.Errorf("%s = %q for an origin that is not allowed", h, v)
			}
		}
		return
	}
	want := map[string]string{
		"Access-Control-Allow-Origin":      allowed,
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Expose-Headers":    "X-Request-ID, Retry-After",
	}
	for h, v := range want {
		if got := resp.Header.Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
}

func TestCORSOnActualResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		req     *http.Request
		status  int
		allowed string // the echoed origin; "" for none
	}{
		{"an allowed origin on success", testkit.NewRequest(http.MethodGet, "/api/v1/users/me", "", testkit.Bearer(goodToken), origin(appOrigin)), 200, appOrigin},
		{"an allowed origin on a token response", testkit.NewRequest(http.MethodPost, "/api/v1/auth/refresh", `{"refreshToken":"x"}`, origin(appOrigin)), 200, appOrigin},
		{"an allowed origin on 204", testkit.NewRequest(http.MethodPost, "/api/v1/auth/logout", "", testkit.Bearer(goodToken), origin(appOrigin)), 204, appOrigin},
		{"an allowed origin on 401", testkit.NewRequest(http.MethodGet, "/api/v1/users/me", "", origin(appOrigin)), 401, appOrigin},
		{"an allowed origin on 409", testkit.NewRequest(http.MethodPost, "/api/v1/auth/refresh", `{"refreshToken":"rotated-token"}`, origin(appOrigin)), 409, appOrigin},
		{"an allowed origin on 404", testkit.NewRequest(http.MethodGet, "/api/v1/nothing", "", origin(appOrigin)), 404, appOrigin},
		{"an allowed origin on 405", testkit.NewRequest(http.MethodPut, "/api/v1/users/me", "", origin(appOrigin)), 405, appOrigin},
		{"an allowed origin on a method nobody knows", testkit.NewRequest("FROB", "/healthz", "", origin(appOrigin)), 405, appOrigin},
		{"an allowed origin on 413", testkit.NewRequest(http.MethodPost, "/api/v1/auth/login", `{"email":"`+strings.Repeat("a", 200)+`"}`, origin(appOrigin)), 413, appOrigin},
		{"an allowed origin on a CSRF refusal", testkit.NewRequest(http.MethodPatch, "/api/v1/users/me", `{}`, accessCookieOf(goodToken), origin("null")), 403, ""},
		{"an allowed origin written differently is echoed as sent", testkit.NewRequest(http.MethodGet, "/healthz", "", origin("http://localhost:5173")), 200, "http://localhost:5173"},
		{"a foreign origin gets none", testkit.NewRequest(http.MethodGet, "/api/v1/users/me", "", testkit.Bearer(goodToken), origin(foreignOrigin)), 200, ""},
		{"a foreign origin gets none on errors", testkit.NewRequest(http.MethodGet, "/api/v1/users/me", "", origin(foreignOrigin)), 401, ""},
		{"the own origin needs none", testkit.NewRequest(http.MethodGet, "/healthz", "", origin(ownOrigin)), 200, ""},
		{"Origin null gets none", testkit.NewRequest(http.MethodGet, "/healthz", "", origin("null")), 200, ""},
		{"a request without Origin gets none", testkit.NewRequest(http.MethodGet, "/healthz", ""), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := originConfig()
			cfg.BodyLimit = 128
			s, _, _ := newSessionServer(t, cfg)
			resp, body := send(t, s, tt.req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			assertActualCORS(t, resp, tt.allowed)
			assertSecurityHeaders(t, resp)
		})
	}
}

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	preflight := func(path, from, method string) *http.Request {
		return testkit.NewRequest(http.MethodOptions, path, "", origin(from),
			testkit.Header("Access-Control-Request-Method", method),
			testkit.Header("Access-Control-Request-Headers", "content-type,authorization"))
	}
	tests := []struct {
		name    string
		req     *http.Request
		allowed bool
	}{
		{"an allowed origin on a protected route", preflight("/api/v1/users/me", appOrigin, "PATCH"), true},
		{"an allowed origin on a session route", preflight("/api/v1/users/me/sessions/sid-1", appOrigin, "DELETE"), true},
		{"an allowed origin on refresh", preflight("/api/v1/auth/refresh", appOrigin, "POST"), true},
		{"a foreign origin", preflight("/api/v1/users/me", foreignOrigin, "PATCH"), false},
		{"Origin null", preflight("/api/v1/auth/logout", "null", "POST"), false},
		{"the own origin", preflight("/api/v1/auth/logout", ownOrigin, "POST"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, _ := newSessionServer(t, originConfig())
			resp, body := send(t, s, tt.req)
			if resp.StatusCode != 204 || len(body) != 0 {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
			assertSecurityHeaders(t, resp)
			assertVaryOrigin(t, resp)
			if st.auth.count() != 0 {
				t.Fatal("a preflight was authenticated")
			}
			if !tt.allowed {
				assertActualCORS(t, resp, "")
				return
			}
			want := map[string]string{
				"Access-Control-Allow-Origin":      appOrigin,
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods":     "GET, POST, PATCH, DELETE",
				"Access-Control-Allow-Headers":     "Authorization, Content-Type, X-Request-ID",
				"Access-Control-Max-Age":           "600",
			}
			for h, v := range want {
				if got := resp.Header.Get(h); got != v {
					t.Errorf("%s = %q, want %q", h, got, v)
				}
			}
		})
	}
}

func TestPlainOptions(t *testing.T) {
	t.Parallel()
	s, _, _ := newSessionServer(t, originConfig())
	resp, body := send(t, s, testkit.NewRequest(http.MethodOptions, "/api/v1/auth/logout", ""))
	if resp.StatusCode != 204 || len(body) != 0 || resp.Header.Get("Allow") != "POST, OPTIONS" {
		t.Fatalf("known route: %d Allow %q %s", resp.StatusCode, resp.Header.Get("Allow"), body)
	}
	assertSecurityHeaders(t, resp)

	resp, body = send(t, s, testkit.NewRequest(http.MethodOptions, "/api/v1/users/me", "", origin(appOrigin)))
	if resp.StatusCode != 204 || resp.Header.Get("Allow") != "GET, HEAD, DELETE, PATCH, OPTIONS" {
		t.Fatalf("known route: %d Allow %q %s", resp.StatusCode, resp.Header.Get("Allow"), body)
	}
	assertActualCORS(t, resp, appOrigin)

	resp, body = send(t, s, testkit.NewRequest(http.MethodOptions, "/api/v1/nothing", ""))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 404 || p.Code != "not_found" {
		t.Fatalf("unknown route: %d %s", resp.StatusCode, body)
	}
}
