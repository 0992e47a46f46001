package main

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests of the session endpoints: a token that should stop working stops at
// once, everywhere and across restarts; legitimate clients are never logged out.

func TestRefreshEndpoint(t *testing.T) {
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")

	t.Run("rotates: same session, new tokens, cookies set", func(t *testing.T) {
		r := a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.str("refreshToken")}).want(t, 200)
		checkSession(t, r)
		if r.str("refreshToken") == s.str("refreshToken") || r.str("accessToken") == s.str("accessToken") {
			t.Fatal("not rotated")
		}
		a.do("GET", "/api/v1/users/me", nil, bearer(r.str("accessToken"))).want(t, 200)
		a.do("GET", "/api/v1/users/me", nil, bearer(s.str("accessToken"))).want(t, 200) // same session: still valid
		// the spent token inside the grace: 409, and the session lives
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.str("refreshToken")}).want(t, 409, "refresh_token_rotated")
		a.do("POST", "/api/v1/auth/refresh", nil, withCookie("refresh_token", r.str("refreshToken"))).want(t, 200)
	})
	t.Run("the body wins over the cookie", func(t *testing.T) {
		n := a.login("jane@example.com", pw).want(t, 200)
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": "bogus"}, withCookie("refresh_token", n.str("refreshToken"))).
			want(t, 401, "invalid_refresh_token")
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": n.str("refreshToken")}, withCookie("refresh_token", "bogus")).want(t, 200)
	})
	t.Run("refuses unknown and missing tokens", func(t *testing.T) {
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": "nope"}).want(t, 401, "invalid_refresh_token")
		a.do("POST", "/api/v1/auth/refresh", nil).want(t, 401, "invalid_refresh_token")
	})
	t.Run("20 concurrent refreshes of one token give one 200 and 409 for the rest", func(t *testing.T) {
		n := a.login("jane@example.com", pw).want(t, 200)
		statuses := concurrentRefresh(a, n.str("refreshToken"), 20)
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
			req, _ := http.NewRequest("POST", a.base+"/api/v1/auth/refresh", nil)
			req.AddCookie(&http.Cookie{Name: "refresh_token", Value: token})
			res, err := plainClient.Do(req)
			if err != nil {
				a.t.Error(err)
				return
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if err := checkExchange(req, nil, res.StatusCode, res.Header, raw); err != nil {
				a.t.Errorf("api/openapi.yaml: %v", err)
			}
			mu.Lock()
			statuses[res.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return statuses
}

func TestRefreshReuse(t *testing.T) {
	a := startApp(t, "", map[string]string{"AUTH_REFRESH_REUSE_GRACE": "0s"})
	s := a.registerVerified("jane@example.com")

	t.Run("a reused token revokes its session, the newest tokens included", func(t *testing.T) {
		n := a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.str("refreshToken")}).want(t, 200)
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.str("refreshToken")}).want(t, 401, "refresh_token_reused")
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": n.str("refreshToken")}).want(t, 401, "invalid_refresh_token")
		a.do("GET", "/api/v1/users/me", nil, bearer(n.str("accessToken"))).want(t, 401, "token_revoked")
		a.do("GET", "/api/v1/users/me", nil, bearer(s.str("accessToken"))).want(t, 401, "token_revoked")
	})
	t.Run("concurrent refreshes without a grace: one wins, the session dies", func(t *testing.T) {
		n := a.login("jane@example.com", pw).want(t, 200)
		statuses := concurrentRefresh(a, n.str("refreshToken"), 10)
		if statuses[200] != 1 || statuses[401] != 9 {
			t.Fatalf("statuses %v", statuses)
		}
		a.do("GET", "/api/v1/users/me", nil, bearer(n.str("accessToken"))).want(t, 401, "token_revoked")
	})
}

func TestLogoutEndpoint(t *testing.T) {
	a := startApp(t, "", nil)
	a.registerVerified("jane@example.com")

	t.Run("local revokes the caller's tokens at once and clears both cookies", func(t *testing.T) {
		s, other := a.login("jane@example.com", pw), a.login("jane@example.com", pw)
		r := a.do("POST", "/api/v1/auth/logout", nil, bearer(s.str("accessToken"))).want(t, 204)
		checkCleared(t, r)
		a.do("GET", "/api/v1/users/me", nil, bearer(s.str("accessToken"))).want(t, 401, "token_revoked")
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.str("refreshToken")}).want(t, 401, "invalid_refresh_token")
		a.do("GET", "/api/v1/users/me", nil, bearer(other.str("accessToken"))).want(t, 200)
	})
	t.Run("global kills a second device's tokens", func(t *testing.T) {
		s, other := a.login("jane@example.com", pw), a.login("jane@example.com", pw)
		a.do("POST", "/api/v1/auth/logout", map[string]any{"scope": "global"}, bearer(s.str("accessToken"))).want(t, 204)
		a.do("GET", "/api/v1/users/me", nil, bearer(other.str("accessToken"))).want(t, 401, "token_revoked")
		a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": other.str("refreshToken")}).want(t, 401, "invalid_refresh_token")
	})
	t.Run("works with the refresh token alone, and with cookies alone", func(t *testing.T) {
		s := a.login("jane@example.com", pw)
		a.do("POST", "/api/v1/auth/logout", map[string]any{"refreshToken": s.str("refreshToken")}).want(t, 204)
		a.do("GET", "/api/v1/users/me", nil, bearer(s.str("accessToken"))).want(t, 401, "token_revoked")
		c := a.login("jane@example.com", pw)
		a.do("POST", "/api/v1/auth/logout", nil, withCookie("access_token", c.str("accessToken"))).want(t, 204)
		a.do("GET", "/api/v1/users/me", nil, bearer(c.str("accessToken"))).want(t, 401, "token_revoked")
	})
	t.Run("answers 401 without any token and 400 for an unknown scope", func(t *testing.T) {
		a.do("POST", "/api/v1/auth/logout", nil).want(t, 401, "unauthenticated")
		s := a.login("jane@example.com", pw)
		a.do("POST", "/api/v1/auth/logout", map[string]any{"scope": "everywhere"}, bearer(s.str("accessToken"))).want(t, 400, "validation_failed")
	})
}

func TestLogoutSurvivesRestart(t *testing.T) {
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")
	keep := a.login("jane@example.com", pw)
	a.do("POST", "/api/v1/auth/logout", nil, bearer(s.str("accessToken"))).want(t, 204)
	b := a.restart()
	b.do("GET", "/api/v1/users/me", nil, bearer(s.str("accessToken"))).want(t, 401, "token_revoked")
	b.do("GET", "/api/v1/users/me", nil, bearer(keep.str("accessToken"))).want(t, 200)
}

func TestChangePasswordEndpoint(t *testing.T) {
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")
	other := a.login("jane@example.com", pw)

	a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": "wrong one", "newPassword": "new password 1"},
		bearer(s.str("accessToken"))).want(t, 403, "invalid_current_password")
	a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": pw, "newPassword": "short"},
		bearer(s.str("accessToken"))).want(t, 400, "validation_failed")
	a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": pw, "newPassword": "new password 1", "newPasswordConfirm": "x"},
		bearer(s.str("accessToken"))).want(t, 400, "validation_failed")
	// in the same second as the login: the old access token fails at once
	n := a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": pw, "newPassword": "new password 1"},
		bearer(s.str("accessToken"))).want(t, 200)
	checkSession(t, n)
	a.do("GET", "/api/v1/users/me", nil, bearer(s.str("accessToken"))).want(t, 401, "token_revoked")
	a.do("GET", "/api/v1/users/me", nil, bearer(other.str("accessToken"))).want(t, 401, "token_revoked")
	a.do("GET", "/api/v1/users/me", nil, bearer(n.str("accessToken"))).want(t, 200)
	a.login("jane@example.com", pw).want(t, 401, "invalid_credentials")
	a.login("jane@example.com", "new password 1").want(t, 200)
}

func TestDeactivateEndpoint(t *testing.T) {
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")
	a.do("DELETE", "/api/v1/users/me", map[string]any{"password": "wrong one"}, bearer(s.str("accessToken"))).want(t, 403, "invalid_current_password")
	r := a.do("DELETE", "/api/v1/users/me", map[string]any{"password": pw}, bearer(s.str("accessToken"))).want(t, 204)
	checkCleared(t, r)
	a.do("GET", "/api/v1/users/me", nil, bearer(s.str("accessToken"))).want(t, 401, "token_revoked")
	a.login("jane@example.com", "wrong one").want(t, 401, "invalid_credentials")
	a.login("jane@example.com", pw).want(t, 403, "account_deactivated")
	a.do("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": pw}).want(t, 409, "email_taken")
}

func TestSessionsEndpoints(t *testing.T) {
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")
	other := a.do("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": pw}, header("User-Agent", "phone/1.0")).want(t, 200)
	eve := a.registerVerified("eve@example.com")

	r := a.do("GET", "/api/v1/users/me/sessions", nil, bearer(s.str("accessToken"))).want(t, 200)
	list, _ := r.body["sessions"].([]any)
	if len(list) != 2 {
		t.Fatalf("sessions %s", r.raw)
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
	a.do("DELETE", "/api/v1/users/me/sessions/"+otherID, nil, bearer(eve.str("accessToken"))).want(t, 404, "not_found")
	a.do("DELETE", "/api/v1/users/me/sessions/"+otherID, nil, bearer(s.str("accessToken"))).want(t, 204)
	a.do("GET", "/api/v1/users/me", nil, bearer(other.str("accessToken"))).want(t, 401, "token_revoked")
	a.do("DELETE", "/api/v1/users/me/sessions/"+otherID, nil, bearer(s.str("accessToken"))).want(t, 404, "not_found")
	if r := a.do("GET", "/api/v1/users/me/sessions", nil, bearer(s.str("accessToken"))).want(t, 200); len(r.body["sessions"].([]any)) != 1 {
		t.Fatalf("sessions after revoke %s", r.raw)
	}
}

func TestCSRFAndCORS(t *testing.T) {
	a := startApp(t, "", map[string]string{"AUTH_CORS_ORIGINS": "https://app.example.com", "AUTH_PUBLIC_URL": "https://auth.example.com"})
	s := a.registerVerified("jane@example.com")
	cookie := withCookie("access_token", s.str("accessToken"))

	a.do("PATCH", "/api/v1/users/me", map[string]any{"firstName": "X"}, cookie, header("Origin", "https://evil.example.com")).want(t, 403, "csrf_rejected")
	a.do("POST", "/api/v1/auth/refresh", nil, withCookie("refresh_token", s.str("refreshToken")), header("Origin", "https://evil.example.com")).
		want(t, 403, "csrf_rejected")
	a.do("PATCH", "/api/v1/users/me", map[string]any{"firstName": "X"}, cookie, header("Origin", "https://auth.example.com")).want(t, 200)
	r := a.do("PATCH", "/api/v1/users/me", map[string]any{"firstName": "Y"}, cookie, header("Origin", "https://app.example.com")).want(t, 200)
	if r.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || r.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("CORS headers %v", r.header)
	}
	// a bearer token is not sent by browsers on their own, so it is not CSRF-checked
	r = a.do("PATCH", "/api/v1/users/me", map[string]any{"firstName": "Z"}, bearer(s.str("accessToken")), header("Origin", "https://evil.example.com")).want(t, 200)
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS headers for a foreign origin")
	}

	t.Run("a preflight is answered for allowed origins only", func(t *testing.T) {
		pre := func(origin string) *resp {
			return a.do("OPTIONS", "/api/v1/users/me", nil, header("Origin", origin), header("Access-Control-Request-Method", "PATCH"))
		}
		ok := pre("https://app.example.com").want(t, 204)
		if ok.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || ok.header.Get("Access-Control-Allow-Credentials") != "true" ||
			!strings.Contains(ok.header.Get("Access-Control-Allow-Methods"), "PATCH") || !strings.Contains(ok.header.Get("Vary"), "Origin") {
			t.Fatalf("allowed preflight headers %v", ok.header)
		}
		if h := pre("https://evil.example.com").header; h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Methods") != "" {
			t.Fatalf("foreign preflight got CORS headers %v", h)
		}
	})
}

// checkCleared checks that both cookies are cleared with the Path they were set with.
func checkCleared(t *testing.T, r *resp) {
	t.Helper()
	at, rt := r.cookie["access_token"], r.cookie["refresh_token"]
	if at == nil || rt == nil || at.Value != "" || rt.Value != "" || at.Path != "/" || rt.Path != "/api/v1/auth" || at.MaxAge >= 0 && at.Expires.IsZero() {
		t.Fatalf("cookies not cleared: %v", r.header["Set-Cookie"])
	}
}

func TestLogoutWithAnExpiredAccessToken(t *testing.T) {
	a, clock := startAppOnClock(t, nil)
	s := a.registerVerified("jane@example.com")
	a.do("GET", "/api/v1/users/me", nil, bearer(s.str("accessToken"))).want(t, 200)
	clock.Advance(15*time.Minute + time.Second) // past the access token's lifetime
	a.do("GET", "/api/v1/users/me", nil, bearer(s.str("accessToken"))).want(t, 401, "invalid_token")
	// the expired token alone cannot log out; with the refresh token cookie it can
	a.do("POST", "/api/v1/auth/logout", nil, bearer(s.str("accessToken"))).want(t, 401, "invalid_token")
	checkCleared(t, a.do("POST", "/api/v1/auth/logout", nil, bearer(s.str("accessToken")), withCookie("refresh_token", s.str("refreshToken"))).want(t, 204))
	a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.str("refreshToken")}).want(t, 401, "invalid_refresh_token")
}
