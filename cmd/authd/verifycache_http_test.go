package main

import (
	"authd/internal/testkit"
	"testing"
)

// Access tokens are verified once and then remembered (adapters/jwt
// CachedVerifier); revocation must still take effect at once, because the
// denylist is asked on every request, cached or not.
func TestRevocationWithAWarmVerifyCache(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_LOG_LEVEL": "warn"})
	warm := func(t *testing.T, token string) {
		t.Helper()
		for range 3 {
			a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(token)).Want(t, 200)
		}
	}

	t.Run("a logged-out token is refused at once", func(t *testing.T) {
		s := a.registerVerified("logout@example.com")
		tok := s.Str("accessToken")
		warm(t, tok)
		a.do("POST", "/api/v1/auth/logout", nil, testkit.Bearer(tok)).Want(t, 204)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(tok)).Want(t, 401, "token_revoked")
	})

	t.Run("a session revoked from another device is refused at once", func(t *testing.T) {
		s := a.registerVerified("revoke@example.com")
		other := a.login("revoke@example.com", pw).Want(t, 200)
		victim := other.Str("accessToken")
		warm(t, victim)
		list := a.do("GET", "/api/v1/users/me/sessions", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 200)
		sessions, _ := list.Body["sessions"].([]any)
		revoked := false
		for _, e := range sessions {
			m, _ := e.(map[string]any)
			if cur, _ := m["current"].(bool); !cur {
				id, _ := m["id"].(string)
				a.do("DELETE", "/api/v1/users/me/sessions/"+id, nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 204)
				revoked = true
			}
		}
		if !revoked {
			t.Fatalf("no other session listed: %s", list.Raw)
		}
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(victim)).Want(t, 401, "token_revoked")
		warm(t, s.Str("accessToken")) // the caller's own session lives on
	})

	t.Run("a password change refuses every earlier token at once", func(t *testing.T) {
		s := a.registerVerified("change@example.com")
		tok := s.Str("accessToken")
		warm(t, tok)
		n := a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": pw, "newPassword": "another good password"},
			testkit.Bearer(tok)).Want(t, 200)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(tok)).Want(t, 401, "token_revoked")
		warm(t, n.Str("accessToken"))
	})
}
