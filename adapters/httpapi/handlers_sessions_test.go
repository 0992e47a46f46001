package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"authd/domain"
	"authd/internal/testkit"
	"authd/ports"
)

func TestRefresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		opts   []testkit.Opt
		status int
		code   string
		used   string // token the service got; "" when it must not be called
	}{
		{"the body token is used", `{"refreshToken":"body-token"}`, nil, 200, "", "body-token"},
		{"the cookie is used without a body", "", []testkit.Opt{refreshCookieOf("cookie-token")}, 200, "", "cookie-token"},
		{"the cookie is used when the body has no token", `{}`, []testkit.Opt{refreshCookieOf("cookie-token")}, 200, "", "cookie-token"},
		{"an empty body token falls back to the cookie", `{"refreshToken":""}`, []testkit.Opt{refreshCookieOf("cookie-token")}, 200, "", "cookie-token"},
		{"the body wins over the cookie", `{"refreshToken":"body-token"}`, []testkit.Opt{refreshCookieOf("cookie-token")}, 200, "", "body-token"},
		{"no token at all is refused before the service", "", nil, 401, "invalid_refresh_token", ""},
		{"an access token is no refresh token", "", []testkit.Opt{testkit.Bearer(goodToken), accessCookieOf(goodToken)}, 401, "invalid_refresh_token", ""},
		{"an unknown token", `{"refreshToken":"unknown-token"}`, nil, 401, "invalid_refresh_token", "unknown-token"},
		{"a reused token", "", []testkit.Opt{refreshCookieOf("reused-token")}, 401, "refresh_token_reused", "reused-token"},
		{"a token rotated inside the grace", `{"refreshToken":"rotated-token"}`, nil, 409, "refresh_token_rotated", "rotated-token"},
		{"an unknown field", `{"token":"body-token"}`, nil, 400, "validation_failed", ""},
		{"a token of the wrong type", `{"refreshToken":42}`, nil, 400, "validation_failed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, _ := newSessionServer(t, Config{})
			resp, body := send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/refresh", tt.body, tt.opts...))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if tt.used == "" && st.refresh.count() != 0 {
				t.Fatalf("the service was called with %q", st.refresh.last().Reveal())
			}
			if tt.used != "" && st.refresh.last().Reveal() != tt.used {
				t.Fatalf("the service got %q, want %q", st.refresh.last().Reveal(), tt.used)
			}
			if tt.code != "" {
				if p := decodeProblem(t, resp, body); p.Code != tt.code {
					t.Fatalf("code %q, want %q", p.Code, tt.code)
				}
				assertNoCookies(t, resp)
				return
			}
			var got sessionResponse
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.AccessToken != "rotated.access-token" || got.RefreshToken != "rotated-refresh" || got.TokenType != "Bearer" ||
				got.ExpiresIn != 900 || got.User.ID != string(testUser.ID) {
				t.Fatalf("body %s", body)
			}
			assertSessionCookiesSet(t, resp, "rotated.access-token", "rotated-refresh")
			assertSecurityHeaders(t, resp)
		})
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	type want struct {
		status    int
		code      string
		field     string // the field a validation failure names
		principal bool   // the service got the access token's caller
		refresh   string // the refresh token the service got
		scope     ports.LogoutScope
		called    bool
	}
	tests := []struct {
		name string
		body string
		opts []testkit.Opt
		want want
	}{
		{"a live bearer token proves the caller", "", []testkit.Opt{testkit.Bearer(goodToken)},
			want{status: 204, principal: true, scope: ports.LogoutLocal, called: true}},
		{"a live access cookie proves the caller", "", []testkit.Opt{accessCookieOf(goodToken)},
			want{status: 204, principal: true, scope: ports.LogoutLocal, called: true}},
		{"the global scope is passed on", `{"scope":"global"}`, []testkit.Opt{testkit.Bearer(goodToken)},
			want{status: 204, principal: true, scope: ports.LogoutGlobal, called: true}},
		{"the local scope is passed on", `{"scope":"local"}`, []testkit.Opt{testkit.Bearer(goodToken)},
			want{status: 204, principal: true, scope: ports.LogoutLocal, called: true}},
		{"a live access token is the proof even when a refresh token is sent", `{"refreshToken":"body-token"}`,
			[]testkit.Opt{testkit.Bearer(goodToken), refreshCookieOf("cookie-token")},
			want{status: 204, principal: true, scope: ports.LogoutLocal, called: true}},
		{"the refresh cookie alone proves the caller", "", []testkit.Opt{refreshCookieOf("cookie-token")},
			want{status: 204, refresh: "cookie-token", scope: ports.LogoutLocal, called: true}},
		{"the body refresh token alone proves the caller", `{"refreshToken":"body-token","scope":"global"}`, nil,
			want{status: 204, refresh: "body-token", scope: ports.LogoutGlobal, called: true}},
		{"an expired bearer token falls back to the refresh cookie", "",
			[]testkit.Opt{testkit.Bearer(expiredToken), refreshCookieOf("cookie-token")},
			want{status: 204, refresh: "cookie-token", scope: ports.LogoutLocal, called: true}},
		{"an expired access cookie falls back to the refresh cookie", "",
			[]testkit.Opt{accessCookieOf(expiredToken), refreshCookieOf("cookie-token")},
			want{status: 204, refresh: "cookie-token", scope: ports.LogoutLocal, called: true}},
		{"a revoked access token falls back to the body refresh token", `{"refreshToken":"body-token"}`,
			[]testkit.Opt{testkit.Bearer(revokedToken)},
			want{status: 204, refresh: "body-token", scope: ports.LogoutLocal, called: true}},
		{"a malformed Authorization header falls back to the refresh cookie", "",
			[]testkit.Opt{testkit.Header("Authorization", "Basic dXNlcjpwYXNz"), refreshCookieOf("cookie-token")},
			want{status: 204, refresh: "cookie-token", scope: ports.LogoutLocal, called: true}},
		{"the body refresh token wins over the cookie", `{"refreshToken":"body-token"}`,
			[]testkit.Opt{testkit.Bearer(expiredToken), refreshCookieOf("cookie-token")},
			want{status: 204, refresh: "body-token", scope: ports.LogoutLocal, called: true}},
		{"no token at all is unauthenticated", "", nil,
			want{status: 401, code: "unauthenticated"}},
		{"an empty body is no proof", `{"refreshToken":"","scope":"local"}`, nil,
			want{status: 401, code: "unauthenticated"}},
		{"an expired access token without a refresh token says why it was refused", "", []testkit.Opt{testkit.Bearer(expiredToken)},
			want{status: 401, code: "invalid_token"}},
		{"a revoked access cookie without a refresh token says why it was refused", "", []testkit.Opt{accessCookieOf(revokedToken)},
			want{status: 401, code: "token_revoked"}},
		{"an unavailable denylist is 503, with no fallback", "", []testkit.Opt{testkit.Bearer(downToken), refreshCookieOf("cookie-token")},
			want{status: 503, code: "dependency_unavailable"}},
		{"an unknown refresh token is refused by the service", "", []testkit.Opt{refreshCookieOf("unknown-token")},
			want{status: 401, code: "invalid_refresh_token", called: true, refresh: "unknown-token", scope: ports.LogoutLocal}},
		{"an unknown scope is a validation failure", `{"scope":"everything"}`, []testkit.Opt{testkit.Bearer(goodToken)},
			want{status: 400, code: "validation_failed", field: "scope"}},
		{"scopes are case-sensitive", `{"scope":"Global"}`, []testkit.Opt{testkit.Bearer(goodToken)},
			want{status: 400, code: "validation_failed", field: "scope"}},
		{"an unknown field is a validation failure", `{"all":true}`, []testkit.Opt{testkit.Bearer(goodToken)},
			want{status: 400, code: "validation_failed", field: "all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st, _ := newSessionServer(t, Config{CookieSecure: true, CookieDomain: "example.com"})
			resp, body := send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/logout", tt.body, tt.opts...))
			if resp.StatusCode != tt.want.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if called := st.logout.count() == 1; called != tt.want.called {
				t.Fatalf("service called: %v, want %v", called, tt.want.called)
			}
			if tt.want.called {
				in := st.logout.last()
				if (in.Principal != nil) != tt.want.principal || in.RefreshToken.Reveal() != tt.want.refresh || in.Scope != tt.want.scope {
					t.Fatalf("service got principal=%v refresh=%q scope=%q", in.Principal != nil, in.RefreshToken.Reveal(), in.Scope)
				}
				if in.Principal != nil && (in.Principal.UserID != testUser.ID || in.Principal.SessionID != "sid-1") {
					t.Fatalf("principal %+v", *in.Principal)
				}
			}
			if tt.want.code != "" {
				p := decodeProblem(t, resp, body)
				if p.Code != tt.want.code || (tt.want.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tt.want.field)) {
					t.Fatalf("body %s", body)
				}
				assertNoCookies(t, resp)
				return
			}
			if len(body) != 0 {
				t.Fatalf("204 with a body: %s", body)
			}
			assertSessionCookiesCleared(t, resp, "example.com")
			assertSecurityHeaders(t, resp)
		})
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	s, st, _ := newSessionServer(t, Config{})
	const good = `{"currentPassword":"correct horse","newPassword":"battery staple","newPasswordConfirm":"battery staple"}`

	resp, body := send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/password/change", good, testkit.Bearer(goodToken)))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got sessionResponse
	if err := json.Unmarshal(body, &got); err != nil || got.AccessToken != "changed.access-token" ||
		got.RefreshToken != "changed-refresh" || got.User.Email != "jane@example.com" {
		t.Fatalf("body %s", body)
	}
	assertSessionCookiesSet(t, resp, "changed.access-token", "changed-refresh")
	call := st.change.last()
	if call.p.SessionID != "sid-1" || call.in.CurrentPassword != "correct horse" || call.in.NewPassword != "battery staple" ||
		call.in.NewPasswordConfirm == nil || *call.in.NewPasswordConfirm != "battery staple" {
		t.Fatalf("service got %+v", call)
	}

	resp, body = send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/password/change",
		`{"currentPassword":"correct horse","newPassword":"battery staple"}`, accessCookieOf(goodToken)))
	if resp.StatusCode != 200 || st.change.last().in.NewPasswordConfirm != nil {
		t.Fatalf("without a confirmation: %d %s", resp.StatusCode, body)
	}

	resp, body = send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/password/change",
		`{"currentPassword":"wrong","newPassword":"battery staple"}`, testkit.Bearer(goodToken)))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 403 || p.Code != "invalid_current_password" {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
	assertNoCookies(t, resp)

	before := st.change.count()
	for _, tc := range []struct {
		name string
		req  *http.Request
		code string
	}{
		{"no token", testkit.NewRequest(http.MethodPost, "/api/v1/auth/password/change", good), "unauthenticated"},
		{"an expired token", testkit.NewRequest(http.MethodPost, "/api/v1/auth/password/change", good, testkit.Bearer(expiredToken)), "invalid_token"},
		{"an unknown field", testkit.NewRequest(http.MethodPost, "/api/v1/auth/password/change", `{"password":"x"}`, testkit.Bearer(goodToken)), "validation_failed"},
	} {
		resp, body := send(t, s, tc.req)
		if p := decodeProblem(t, resp, body); p.Code != tc.code {
			t.Errorf("%s: got %d %s", tc.name, resp.StatusCode, body)
		}
	}
	if st.change.count() != before {
		t.Fatal("the service was called for a refused request")
	}
}

func TestDeactivate(t *testing.T) {
	t.Parallel()
	s, st, _ := newSessionServer(t, Config{CookieDomain: "auth.example.com"})

	resp, body := send(t, s, testkit.NewRequest(http.MethodDelete, "/api/v1/users/me", `{"password":"correct horse"}`, accessCookieOf(goodToken)))
	if resp.StatusCode != 204 || len(body) != 0 {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
	assertSessionCookiesCleared(t, resp, "auth.example.com")
	if call := st.deactivation.last(); call.password != "correct horse" || call.p.UserID != testUser.ID {
		t.Fatalf("service got %+v", call)
	}

	resp, body = send(t, s, testkit.NewRequest(http.MethodDelete, "/api/v1/users/me", `{"password":"wrong"}`, testkit.Bearer(goodToken)))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 403 || p.Code != "invalid_current_password" {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
	assertNoCookies(t, resp)

	before := st.deactivation.count()
	resp, body = send(t, s, testkit.NewRequest(http.MethodDelete, "/api/v1/users/me", `{"password":"correct horse"}`))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 401 || p.Code != "unauthenticated" || st.deactivation.count() != before {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
}

func TestListSessions(t *testing.T) {
	t.Parallel()
	s, st, _ := newSessionServer(t, Config{})
	list := func() (*http.Response, []byte) {
		return send(t, s, testkit.NewRequest(http.MethodGet, "/api/v1/users/me/sessions", "", testkit.Bearer(goodToken)))
	}

	resp, body := list()
	if resp.StatusCode != 200 || string(body) != `{"sessions":[]}` || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("no sessions: %d %s", resp.StatusCode, body)
	}

	plus2 := time.FixedZone("+02", 2*3600)
	st.sessions.list = []ports.SessionInfo{
		{Session: domain.Session{
			ID: "sid-1", UserID: testUser.ID,
			CreatedAt:        time.Date(2025, 3, 1, 12, 0, 0, 0, plus2),
			LastUsedAt:       time.Date(2025, 3, 2, 8, 30, 0, 500_000_000, time.UTC),
			ExpiresAt:        time.Date(2025, 3, 31, 10, 0, 0, 0, time.UTC),
			RefreshExpiresAt: time.Date(2025, 3, 9, 8, 30, 0, 0, time.UTC),
			UserAgent:        "Mozilla/5.0", IP: "203.0.113.7",
		}, Current: true},
		{Session: domain.Session{
			ID: "sid-0", UserID: testUser.ID,
			CreatedAt:        time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
			LastUsedAt:       time.Date(2025, 2, 20, 0, 0, 0, 0, time.UTC),
			ExpiresAt:        time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), // the absolute limit comes first
			RefreshExpiresAt: time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC),
		}},
	}
	resp, body = list()
	want := `{"sessions":[` +
		`{"id":"sid-1","createdAt":"2025-03-01T10:00:00Z","lastUsedAt":"2025-03-02T08:30:00.5Z","expiresAt":"2025-03-09T08:30:00Z","userAgent":"Mozilla/5.0","ip":"203.0.113.7","current":true},` +
		`{"id":"sid-0","createdAt":"2025-02-01T00:00:00Z","lastUsedAt":"2025-02-20T00:00:00Z","expiresAt":"2025-03-03T00:00:00Z","userAgent":"","ip":"","current":false}` +
		`]}`
	if resp.StatusCode != 200 || string(body) != want {
		t.Fatalf("got %d\n%s\nwant\n%s", resp.StatusCode, body, want)
	}

	resp, body = send(t, s, testkit.NewRequest(http.MethodGet, "/api/v1/users/me/sessions", ""))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 401 || p.Code != "unauthenticated" {
		t.Fatalf("without a token: %d %s", resp.StatusCode, body)
	}
}

func TestEarlierIgnoresAnUnsetExpiry(t *testing.T) {
	t.Parallel()
	a := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b := a.Add(time.Hour)
	for _, tc := range []struct{ x, y, want time.Time }{
		{a, b, a}, {b, a, a}, {a, a, a}, {time.Time{}, b, b}, {a, time.Time{}, a},
	} {
		if got := earlier(tc.x, tc.y); !got.Equal(tc.want) {
			t.Errorf("earlier(%v, %v) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}

func TestRevokeSession(t *testing.T) {
	t.Parallel()
	s, st, logs := newSessionServer(t, Config{})
	st.sessions.list = []ports.SessionInfo{{Session: domain.Session{ID: "sid-2"}}}

	resp, body := send(t, s, testkit.NewRequest(http.MethodDelete, "/api/v1/users/me/sessions/sid-2", "", testkit.Bearer(goodToken)))
	if resp.StatusCode != 204 || len(body) != 0 {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
	if call := st.sessions.last(); call.id != "sid-2" || call.p.SessionID != "sid-1" {
		t.Fatalf("service got %+v", call)
	}
	assertNoCookies(t, resp)

	resp, body = send(t, s, testkit.NewRequest(http.MethodDelete, "/api/v1/users/me/sessions/someone-elses-sid", "", testkit.Bearer(goodToken)))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 404 || p.Code != "not_found" || p.Message != "session not found" {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}

	before := st.sessions.count()
	resp, body = send(t, s, testkit.NewRequest(http.MethodDelete, "/api/v1/users/me/sessions/sid-2", ""))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 401 || p.Code != "unauthenticated" || st.sessions.count() != before {
		t.Fatalf("without a token: %d %s", resp.StatusCode, body)
	}

	for _, l := range logs.requestLines(t) {
		if l["route"] != "/api/v1/users/me/sessions/:id" {
			t.Errorf("request line names %v", l["route"])
		}
	}
	if strings.Contains(logs.String(), "someone-elses-sid") {
		t.Errorf("the raw path reached the log: %s", logs)
	}
}
