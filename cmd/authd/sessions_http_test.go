package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"authd/internal/testkit"
)

// Tests of the session endpoints: a token that should stop working stops at
// once, everywhere and across restarts; legitimate clients are never logged out.

func TestRefreshEndpoint(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")

	t.Run("rotates: same session, new tokens, cookies set", func(t *testing.T) {
		r := a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.Str("refreshToken")}).Want(t, 200)
		checkSession(t, r)
		if r.Str("refreshToken") == s.Str("refreshToken") || r.Str("accessToken") == s.Str("accessToken") {
			t.Fatal("not rotated")
		}
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(r.Str("accessToken"))).Want(t, 200)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 200) // same session: still valid
		// the spent token inside the grace: 409, and the session lives
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.Str("refreshToken")}).Want(t, 409, "refresh_token_rotated")
		a.do("POST", "/api/v1/auth/refresh", nil, testkit.Cookie("refresh_token", r.Str("refreshToken"))).Want(t, 200)
	})
	t.Run("the body wins over the cookie", func(t *testing.T) {
		n := a.login("jane@example.com", pw).Want(t, 200)
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": "bogus"}, testkit.Cookie("refresh_token", n.Str("refreshToken"))).
			Want(t, 401, "invalid_refresh_token")
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": n.Str("refreshToken")}, testkit.Cookie("refresh_token", "bogus")).Want(t, 200)
	})
	t.Run("refuses unknown and missing tokens", func(t *testing.T) {
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": "nope"}).Want(t, 401, "invalid_refresh_token")
		a.do("POST", "/api/v1/auth/refresh", nil).Want(t, 401, "invalid_refresh_token")
	})
	t.Run("20 concurrent refreshes of one token give one 200 and 409 for the rest", func(t *testing.T) {
		n := a.login("jane@example.com", pw).Want(t, 200)
		statuses := concurrentRefresh(a, n.Str("refreshToken"), 20)
		if statuses[200] != 1 || statuses[409] != 19 {
			t.Fatalf("statuses %v", statuses)
		}
	})
}

func concurrentRefresh(a *testApp, token string, n int) map[int]int {
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			r, err := a.client.Try(a.client.Request("POST", "/api/v1/auth/refresh", nil, testkit.Cookie("refresh_token", token)))
			if r == nil {
				a.t.Error(err)
				return
			}
			if err != nil {
				a.t.Error(err) // api/openapi.yaml
			}
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return statuses
}

func TestRefreshReuse(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_REFRESH_REUSE_GRACE": "0s"})
	s := a.registerVerified("jane@example.com")

	t.Run("a reused token revokes its session, the newest tokens included", func(t *testing.T) {
		n := a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.Str("refreshToken")}).Want(t, 200)
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.Str("refreshToken")}).Want(t, 401, "refresh_token_reused")
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": n.Str("refreshToken")}).Want(t, 401, "invalid_refresh_token")
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(n.Str("accessToken"))).Want(t, 401, "token_revoked")
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 401, "token_revoked")
	})
	t.Run("concurrent refreshes without a grace: one wins, the session dies", func(t *testing.T) {
		n := a.login("jane@example.com", pw).Want(t, 200)
		statuses := concurrentRefresh(a, n.Str("refreshToken"), 10)
		if statuses[200] != 1 || statuses[401] != 9 {
			t.Fatalf("statuses %v", statuses)
		}
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(n.Str("accessToken"))).Want(t, 401, "token_revoked")
	})
}

func TestLogoutEndpoint(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	a.registerVerified("jane@example.com")

	t.Run("local revokes the caller's tokens at once and clears both cookies", func(t *testing.T) {
		s, other := a.login("jane@example.com", pw), a.login("jane@example.com", pw)
		r := a.do("POST", "/api/v1/auth/logout", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 204)
		checkCleared(t, r)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 401, "token_revoked")
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.Str("refreshToken")}).Want(t, 401, "invalid_refresh_token")
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(other.Str("accessToken"))).Want(t, 200)
	})
	t.Run("global kills a second device's tokens", func(t *testing.T) {
		s, other := a.login("jane@example.com", pw), a.login("jane@example.com", pw)
		a.do("POST", "/api/v1/auth/logout", map[string]any{"scope": "global"}, testkit.Bearer(s.Str("accessToken"))).Want(t, 204)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(other.Str("accessToken"))).Want(t, 401, "token_revoked")
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": other.Str("refreshToken")}).Want(t, 401, "invalid_refresh_token")
	})
	t.Run("works with the refresh token alone, and with cookies alone", func(t *testing.T) {
		s := a.login("jane@example.com", pw)
		a.do("POST", "/api/v1/auth/logout", map[string]any{"refreshToken": s.Str("refreshToken")}).Want(t, 204)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 401, "token_revoked")
		c := a.login("jane@example.com", pw)
		a.do("POST", "/api/v1/auth/logout", nil, testkit.Cookie("access_token", c.Str("accessToken"))).Want(t, 204)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(c.Str("accessToken"))).Want(t, 401, "token_revoked")
	})
	t.Run("answers 401 without any token and 400 for an unknown scope", func(t *testing.T) {
		a.do("POST", "/api/v1/auth/logout", nil).Want(t, 401, "unauthenticated")
		s := a.login("jane@example.com", pw)
		a.do("POST", "/api/v1/auth/logout", map[string]any{"scope": "everywhere"}, testkit.Bearer(s.Str("accessToken"))).Want(t, 400, "validation_failed")
	})
}

func TestLogoutSurvivesRestart(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")
	keep := a.login("jane@example.com", pw)
	a.do("POST", "/api/v1/auth/logout", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 204)
	b := a.restart()
	b.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 401, "token_revoked")
	b.do("GET", "/api/v1/users/me", nil, testkit.Bearer(keep.Str("accessToken"))).Want(t, 200)
}

func TestChangePasswordEndpoint(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")
	other := a.login("jane@example.com", pw)

	a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": "wrong one", "newPassword": "new password 1"},
		testkit.Bearer(s.Str("accessToken"))).Want(t, 403, "invalid_current_password")
	a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": pw, "newPassword": "short"},
		testkit.Bearer(s.Str("accessToken"))).Want(t, 400, "validation_failed")
	a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": pw, "newPassword": "new password 1", "newPasswordConfirm": "x"},
		testkit.Bearer(s.Str("accessToken"))).Want(t, 400, "validation_failed")
	// in the same second as the login: the old access token fails at once
	n := a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": pw, "newPassword": "new password 1"},
		testkit.Bearer(s.Str("accessToken"))).Want(t, 200)
	checkSession(t, n)
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 401, "token_revoked")
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(other.Str("accessToken"))).Want(t, 401, "token_revoked")
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(n.Str("accessToken"))).Want(t, 200)
	a.login("jane@example.com", pw).Want(t, 401, "invalid_credentials")
	a.login("jane@example.com", "new password 1").Want(t, 200)
}

func TestDeactivateEndpoint(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")
	a.do("DELETE", "/api/v1/users/me", map[string]any{"password": "wrong one"}, testkit.Bearer(s.Str("accessToken"))).Want(t, 403, "invalid_current_password")
	r := a.do("DELETE", "/api/v1/users/me", map[string]any{"password": pw}, testkit.Bearer(s.Str("accessToken"))).Want(t, 204)
	checkCleared(t, r)
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 401, "token_revoked")
	a.login("jane@example.com", "wrong one").Want(t, 401, "invalid_credentials")
	a.login("jane@example.com", pw).Want(t, 403, "account_deactivated")
	a.do("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": pw}).Want(t, 409, "email_taken")
}

func TestSessionsEndpoints(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")
	other := a.do("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": pw}, testkit.Header("User-Agent", "phone/1.0")).Want(t, 200)
	eve := a.registerVerified("eve@example.com")

	r := a.do("GET", "/api/v1/users/me/sessions", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 200)
	list, _ := r.Body["sessions"].([]any)
	if len(list) != 2 {
		t.Fatalf("sessions %s", r.Raw)
	}
	var otherID string
	for _, x := range list {
		m := x.(map[string]any)
		for _, k := range []string{"id", "createdAt", "lastUsedAt", "expiresAt", "userAgent", "ip", "current"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("session lacks %s: %v", k, m)
			}
		}
		if m["userAgent"] == "phone/1.0" {
			otherID = m["id"].(string)
			if m["current"] != false {
				t.Fatal("the other session is marked current")
			}
		}
	}
	a.do("DELETE", "/api/v1/users/me/sessions/"+otherID, nil, testkit.Bearer(eve.Str("accessToken"))).Want(t, 404, "not_found")
	a.do("DELETE", "/api/v1/users/me/sessions/"+otherID, nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 204)
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(other.Str("accessToken"))).Want(t, 401, "token_revoked")
	a.do("DELETE", "/api/v1/users/me/sessions/"+otherID, nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 404, "not_found")
	if r := a.do("GET", "/api/v1/users/me/sessions", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 200); len(r.Body["sessions"].([]any)) != 1 {
		t.Fatalf("sessions after revoke %s", r.Raw)
	}
}

func TestCSRFAndCORS(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_CORS_ORIGINS": "https://app.example.com", "AUTH_PUBLIC_URL": "https://auth.example.com"})
	s := a.registerVerified("jane@example.com")
	cookie := testkit.Cookie("access_token", s.Str("accessToken"))

	a.do("PATCH", "/api/v1/users/me", map[string]any{"firstName": "X"}, cookie, testkit.Header("Origin", "https://evil.example.com")).Want(t, 403, "csrf_rejected")
	a.do("POST", "/api/v1/auth/refresh", nil, testkit.Cookie("refresh_token", s.Str("refreshToken")), testkit.Header("Origin", "https://evil.example.com")).
		Want(t, 403, "csrf_rejected")
	a.do("PATCH", "/api/v1/users/me", map[string]any{"firstName": "X"}, cookie, testkit.Header("Origin", "https://auth.example.com")).Want(t, 200)
	r := a.do("PATCH", "/api/v1/users/me", map[string]any{"firstName": "Y"}, cookie, testkit.Header("Origin", "https://app.example.com")).Want(t, 200)
	if r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("CORS headers %v", r.Header)
	}
	// a bearer token is not sent by browsers on their own, so it is not CSRF-checked
	r = a.do("PATCH", "/api/v1/users/me", map[string]any{"firstName": "Z"}, testkit.Bearer(s.Str("accessToken")), testkit.Header("Origin", "https://evil.example.com")).Want(t, 200)
	if r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS headers for a foreign origin")
	}

	t.Run("a preflight is answered for allowed origins only", func(t *testing.T) {
		pre := func(origin string) *testkit.Reply {
			return a.do("OPTIONS", "/api/v1/users/me", nil, testkit.Header("Origin", origin), testkit.Header("Access-Control-Request-Method", "PATCH"))
		}
		ok := pre("https://app.example.com").Want(t, 204)
		if ok.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || ok.Header.Get("Access-Control-Allow-Credentials") != "true" ||
			!strings.Contains(ok.Header.Get("Access-Control-Allow-Methods"), "PATCH") || !strings.Contains(ok.Header.Get("Vary"), "Origin") {
			t.Fatalf("allowed preflight headers %v", ok.Header)
		}
		if h := pre("https://evil.example.com").Header; h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Methods") != "" {
			t.Fatalf("foreign preflight got CORS headers %v", h)
		}
	})
}

// checkCleared checks that both cookies are cleared with the Path they were set with.
func checkCleared(t *testing.T, r *testkit.Reply) {
	t.Helper()
	at, rt := r.Cookies["access_token"], r.Cookies["refresh_token"]
	if at == nil || rt == nil || at.Value != "" || rt.Value != "" || at.Path != "/" || rt.Path != "/api/v1/auth" || at.MaxAge >= 0 && at.Expires.IsZero() {
		t.Fatalf("cookies not cleared: %v", r.Header["Set-Cookie"])
	}
}

func TestLogoutWithAnExpiredAccessToken(t *testing.T) {
	t.Parallel()
	a, clock := startAppOnClock(t, nil)
	s := a.registerVerified("jane@example.com")
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 200)
	clock.Advance(15*time.Minute + time.Second) // past the access token's lifetime
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 401, "invalid_token")
	// the expired token alone cannot log out; with the refresh token cookie it can
	a.do("POST", "/api/v1/auth/logout", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 401, "invalid_token")
	checkCleared(t, a.do("POST", "/api/v1/auth/logout", nil, testkit.Bearer(s.Str("accessToken")), testkit.Cookie("refresh_token", s.Str("refreshToken"))).Want(t, 204))
	a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.Str("refreshToken")}).Want(t, 401, "invalid_refresh_token")
}
