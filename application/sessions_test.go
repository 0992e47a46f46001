package application

import (
	"errors"
	"sync"
	"testing"
	"time"

	"authd/domain"
	"authd/ports"
)

// loggedIn registers, verifies and logs in; the denylist starts seeded as it
// would after start-up.
func loggedIn(t *testing.T, e *env) ports.SessionTokens {
	t.Helper()
	if e.store.UserCount() == 0 {
		registered(t, e)
	}
	e.denylist.MarkSeeded(ctx)
	s, err := e.login.Login(ctx, ports.LoginInput{Email: "jane@example.com", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustAuth(t *testing.T, e *env, access string) ports.Principal {
	t.Helper()
	p, err := e.auth.Authenticate(ctx, access)
	if err != nil {
		t.Fatalf("access token refused: %v", err)
	}
	return p
}

func wantRevoked(t *testing.T, e *env, access string) {
	t.Helper()
	if _, err := e.auth.Authenticate(ctx, access); !errors.Is(err, domain.ErrTokenRevoked) {
		t.Fatalf("got %v, want token_revoked", err)
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	t.Run("rotates the refresh token and keeps the session", func(t *testing.T) {
		e := newEnv()
		s := loggedIn(t, e)
		e.clock.Advance(time.Minute)
		n, err := e.refresh.Refresh(ctx, s.RefreshToken, ports.Client{})
		if err != nil {
			t.Fatal(err)
		}
		if n.SessionID != s.SessionID || n.RefreshToken == s.RefreshToken || n.AccessToken == s.AccessToken {
			t.Fatalf("not rotated: %+v", n)
		}
		if !n.RefreshExpiresAt.Equal(t0.Add(time.Minute + 168*time.Hour)) {
			t.Fatalf("refresh expiry %v does not slide", n.RefreshExpiresAt)
		}
		mustAuth(t, e, n.AccessToken)
	})

	t.Run("answers a just-rotated token with 409 and keeps the session alive", func(t *testing.T) {
		e := newEnv()
		s := loggedIn(t, e)
		n, _ := e.refresh.Refresh(ctx, s.RefreshToken, ports.Client{})
		e.clock.Advance(9 * time.Second)
		if _, err := e.refresh.Refresh(ctx, s.RefreshToken, ports.Client{}); !errors.Is(err, domain.ErrRefreshTokenRotated) {
			t.Fatalf("got %v", err)
		}
		if _, err := e.refresh.Refresh(ctx, n.RefreshToken, ports.Client{}); err != nil {
			t.Fatalf("newest token refused: %v", err)
		}
	})

	t.Run("takes reuse after the grace as theft and revokes the whole session", func(t *testing.T) {
		e := newEnv()
		s := loggedIn(t, e)
		n, _ := e.refresh.Refresh(ctx, s.RefreshToken, ports.Client{})
		e.clock.Advance(10 * time.Second)
		if _, err := e.refresh.Refresh(ctx, s.RefreshToken, ports.Client{}); !errors.Is(err, domain.ErrRefreshTokenReused) {
			t.Fatalf("got %v", err)
		}
		if _, err := e.refresh.Refresh(ctx, n.RefreshToken, ports.Client{}); !errors.Is(err, domain.ErrInvalidRefreshToken) {
			t.Fatalf("newest token still works: %v", err)
		}
		wantRevoked(t, e, n.AccessToken)
		if _, err := e.refresh.Refresh(ctx, s.RefreshToken, ports.Client{}); !errors.Is(err, domain.ErrInvalidRefreshToken) {
			t.Fatalf("replay after revocation: %v", err)
		}
	})

	t.Run("measures the grace from the token's own rotation", func(t *testing.T) {
		e := newEnv()
		s := loggedIn(t, e)
		e.clock.Advance(time.Hour)
		n, _ := e.refresh.Refresh(ctx, s.RefreshToken, ports.Client{})
		e.clock.Advance(5 * time.Second)
		n2, _ := e.refresh.Refresh(ctx, n.RefreshToken, ports.Client{})
		e.clock.Advance(6 * time.Second) // 11s after the first rotation, 6s after the second
		if _, err := e.refresh.Refresh(ctx, n.RefreshToken, ports.Client{}); !errors.Is(err, domain.ErrRefreshTokenRotated) {
			t.Fatalf("got %v", err)
		}
		if _, err := e.refresh.Refresh(ctx, n2.RefreshToken, ports.Client{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("lets exactly one of concurrent refreshes win and answers the rest 409", func(t *testing.T) {
		e := newEnv()
		s := loggedIn(t, e)
		results := make([]error, 20)
		tokens := make([]ports.SessionTokens, len(results))
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() { tokens[i], results[i] = e.refresh.Refresh(ctx, s.RefreshToken, ports.Client{}) })
		}
		wg.Wait()
		won, rotated := 0, 0
		for i, err := range results {
			switch {
			case err == nil:
				won++
			case errors.Is(err, domain.ErrRefreshTokenRotated):
				rotated++
				// The access token signed ahead for a lost rotation is dropped.
				if tokens[i].AccessToken != "" || tokens[i].RefreshToken != "" {
					t.Errorf("a lost rotation handed out tokens")
				}
			default:
				t.Errorf("unexpected %v", err)
			}
		}
		if won != 1 || rotated != 19 {
			t.Fatalf("%d won, %d rotated", won, rotated)
		}
	})

	t.Run("revokes the session on a concurrent refresh when there is no grace", func(t *testing.T) {
		e := newEnv(func(s *Settings) { s.RefreshReuseGrace = 0 })
		s := loggedIn(t, e)
		n, _ := e.refresh.Refresh(ctx, s.RefreshToken, ports.Client{})
		if _, err := e.refresh.Refresh(ctx, s.RefreshToken, ports.Client{}); !errors.Is(err, domain.ErrRefreshTokenReused) {
			t.Fatalf("got %v", err)
		}
		wantRevoked(t, e, n.AccessToken)
	})

	t.Run("refuses an expired refresh token", func(t *testing.T) {
		e := newEnv()
		s := loggedIn(t, e)
		e.clock.Advance(168 * time.Hour)
		if _, err := e.refresh.Refresh(ctx, s.RefreshToken, ports.Client{}); !errors.Is(err, domain.ErrInvalidRefreshToken) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("caps sliding refreshes at the session's absolute limit", func(t *testing.T) {
		e := newEnv(func(s *Settings) { s.RefreshTokenTTL, s.SessionMaxAge = time.Hour, 150*time.Minute })
		s := loggedIn(t, e)
		tok := s.RefreshToken
		for i := range 2 {
			e.clock.Advance(50 * time.Minute)
			n, err := e.refresh.Refresh(ctx, tok, ports.Client{})
			if err != nil {
				t.Fatalf("refresh %d: %v", i, err)
			}
			tok = n.RefreshToken
			if i == 1 && !n.RefreshExpiresAt.Equal(t0.Add(150*time.Minute)) {
				t.Fatalf("expiry %v not capped", n.RefreshExpiresAt)
			}
		}
		e.clock.Advance(50 * time.Minute)
		if _, err := e.refresh.Refresh(ctx, tok, ports.Client{}); !errors.Is(err, domain.ErrInvalidRefreshToken) {
			t.Fatalf("beyond the session's limit: %v", err)
		}
	})

	t.Run("refuses unknown and empty tokens", func(t *testing.T) {
		e := newEnv()
		for _, tok := range []domain.Secret{"", "unknown"} {
			if _, err := e.refresh.Refresh(ctx, tok, ports.Client{}); !errors.Is(err, domain.ErrInvalidRefreshToken) {
				t.Fatalf("%q: %v", tok.Reveal(), err)
			}
		}
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	t.Run("local ends only the caller's session", func(t *testing.T) {
		e := newEnv()
		a, b := loggedIn(t, e), loggedIn(t, e)
		p := mustAuth(t, e, a.AccessToken)
		if err := e.logout.Logout(ctx, ports.LogoutInput{Principal: &p}); err != nil {
			t.Fatal(err)
		}
		wantRevoked(t, e, a.AccessToken)
		mustAuth(t, e, b.AccessToken)
		if _, err := e.refresh.Refresh(ctx, a.RefreshToken, ports.Client{}); !errors.Is(err, domain.ErrInvalidRefreshToken) {
			t.Fatalf("refresh after logout: %v", err)
		}
	})

	t.Run("global ends every session of the user", func(t *testing.T) {
		e := newEnv()
		a, b := loggedIn(t, e), loggedIn(t, e)
		p := mustAuth(t, e, a.AccessToken)
		if err := e.logout.Logout(ctx, ports.LogoutInput{Principal: &p, Scope: ports.LogoutGlobal}); err != nil {
			t.Fatal(err)
		}
		wantRevoked(t, e, a.AccessToken)
		wantRevoked(t, e, b.AccessToken)
	})

	t.Run("works with the refresh token when the access token has expired", func(t *testing.T) {
		e := newEnv()
		a := loggedIn(t, e)
		e.clock.Advance(time.Hour)
		if err := e.logout.Logout(ctx, ports.LogoutInput{RefreshToken: a.RefreshToken}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.refresh.Refresh(ctx, a.RefreshToken, ports.Client{}); !errors.Is(err, domain.ErrInvalidRefreshToken) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("refuses a call without any token, or with a spent refresh token", func(t *testing.T) {
		e := newEnv()
		a := loggedIn(t, e)
		if err := e.logout.Logout(ctx, ports.LogoutInput{}); !errors.Is(err, domain.ErrUnauthenticated) {
			t.Fatalf("no token: %v", err)
		}
		e.refresh.Refresh(ctx, a.RefreshToken, ports.Client{})
		if err := e.logout.Logout(ctx, ports.LogoutInput{RefreshToken: a.RefreshToken}); !errors.Is(err, domain.ErrInvalidRefreshToken) {
			t.Fatalf("spent token: %v", err)
		}
	})

	t.Run("fails closed when the denylist is down", func(t *testing.T) {
		e := newEnv()
		a := loggedIn(t, e)
		p := mustAuth(t, e, a.AccessToken)
		e.denylist.Down(domain.WrapUnavailable(errors.New("memcached down")))
		if err := e.logout.Logout(ctx, ports.LogoutInput{Principal: &p}); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("logout: %v", err)
		}
		if _, err := e.auth.Authenticate(ctx, a.AccessToken); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("authenticate while down: %v", err)
		}
		e.denylist.Down(nil)
		wantRevoked(t, e, a.AccessToken) // re-seeded from storage, which recorded the logout
	})
}

func TestDenylistSeeding(t *testing.T) {
	t.Parallel()
	t.Run("re-seeds a denylist that lost its entries before trusting it", func(t *testing.T) {
		e := newEnv()
		a, b := loggedIn(t, e), loggedIn(t, e)
		p := mustAuth(t, e, a.AccessToken)
		e.logout.Logout(ctx, ports.LogoutInput{Principal: &p})
		e.denylist.Lose()
		before := e.denylist.Seeds()
		wantRevoked(t, e, a.AccessToken)
		mustAuth(t, e, b.AccessToken)
		if n := e.denylist.Seeds() - before; n != 1 {
			t.Fatalf("re-seeded %d times, want once", n)
		}
	})

	t.Run("seeds only revocations whose access tokens may still live", func(t *testing.T) {
		e := newEnv()
		a := loggedIn(t, e)
		p := mustAuth(t, e, a.AccessToken)
		e.logout.Logout(ctx, ports.LogoutInput{Principal: &p})
		e.clock.Advance(16 * time.Minute)
		e.denylist.Lose()
		if err := e.revocations.Seed(ctx); err != nil {
			t.Fatal(err)
		}
		if e.denylist.Entries() != 0 {
			t.Fatalf("seeded %d", e.denylist.Entries())
		}
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	in := ports.ChangePasswordInput{CurrentPassword: "correct horse", NewPassword: "battery staple"}

	t.Run("revokes every session, the caller's too, and returns a new one", func(t *testing.T) {
		e := newEnv()
		a, b := loggedIn(t, e), loggedIn(t, e)
		n, err := e.change.ChangePassword(ctx, mustAuth(t, e, a.AccessToken), in)
		if err != nil {
			t.Fatal(err)
		}
		wantRevoked(t, e, a.AccessToken)
		wantRevoked(t, e, b.AccessToken)
		if n.SessionID == a.SessionID {
			t.Fatal("same session id")
		}
		mustAuth(t, e, n.AccessToken)
		if _, err := e.login.Login(ctx, ports.LoginInput{Email: "jane@example.com", Password: "battery staple"}); err != nil {
			t.Fatalf("new password refused: %v", err)
		}
	})

	t.Run("refuses a wrong current password with 403 and changes nothing", func(t *testing.T) {
		e := newEnv()
		a := loggedIn(t, e)
		bad := in
		bad.CurrentPassword = "wrong password"
		if _, err := e.change.ChangePassword(ctx, mustAuth(t, e, a.AccessToken), bad); !errors.Is(err, domain.ErrInvalidCurrentPassword) {
			t.Fatalf("got %v", err)
		}
		mustAuth(t, e, a.AccessToken)
	})

	t.Run("checks the new password by the policy and its confirmation", func(t *testing.T) {
		e := newEnv()
		a := loggedIn(t, e)
		bad := in
		bad.NewPassword, bad.NewPasswordConfirm = "short", ptr(domain.Secret("other"))
		_, err := e.change.ChangePassword(ctx, mustAuth(t, e, a.AccessToken), bad)
		if got := fieldsOf(err); len(got) != 2 || got[0] != "newPassword" || got[1] != "newPasswordConfirm" {
			t.Fatalf("got %v %v", err, got)
		}
	})
}

func TestDeactivate(t *testing.T) {
	t.Parallel()
	t.Run("revokes everything and refuses login only after a correct password", func(t *testing.T) {
		e := newEnv()
		a := loggedIn(t, e)
		e.verification.Resend(ctx, "jane@example.com", ports.Client{}) // verified already: no token
		if err := e.deactivation.Deactivate(ctx, mustAuth(t, e, a.AccessToken), "correct horse"); err != nil {
			t.Fatal(err)
		}
		wantRevoked(t, e, a.AccessToken)
		if _, err := e.login.Login(ctx, ports.LoginInput{Email: "jane@example.com", Password: "nope nope"}); !errors.Is(err, domain.ErrInvalidCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := e.login.Login(ctx, ports.LoginInput{Email: "jane@example.com", Password: "correct horse"}); !errors.Is(err, domain.ErrAccountDeactivated) {
			t.Fatalf("right password: %v", err)
		}
	})

	t.Run("voids an outstanding verification token", func(t *testing.T) {
		e := newEnv(func(s *Settings) { s.RequireEmailVerification = false })
		res, _ := e.registration.Register(ctx, validInput())
		e.denylist.MarkSeeded(ctx)
		tok := verifyToken(t, e)
		if err := e.deactivation.Deactivate(ctx, mustAuth(t, e, res.Session.AccessToken), "correct horse"); err != nil {
			t.Fatal(err)
		}
		if err := e.verification.Verify(ctx, tok, ports.Client{}); !errors.Is(err, domain.ErrInvalidVerificationToken) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("refuses a wrong password with 403", func(t *testing.T) {
		e := newEnv()
		a := loggedIn(t, e)
		if err := e.deactivation.Deactivate(ctx, mustAuth(t, e, a.AccessToken), "wrong"); !errors.Is(err, domain.ErrInvalidCurrentPassword) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestSessions(t *testing.T) {
	t.Parallel()
	t.Run("lists live sessions newest first and marks the current one", func(t *testing.T) {
		e := newEnv()
		a := loggedIn(t, e)
		e.clock.Advance(time.Second)
		b := loggedIn(t, e)
		list, err := e.sessions.List(ctx, mustAuth(t, e, a.AccessToken))
		if err != nil || len(list) != 2 || list[0].ID != b.SessionID || list[0].Current || !list[1].Current {
			t.Fatalf("got %+v, %v", list, err)
		}
	})

	t.Run("revokes one of the caller's sessions and hides everybody else's", func(t *testing.T) {
		e := newEnv()
		a, b := loggedIn(t, e), loggedIn(t, e)
		e.registration.Register(ctx, ports.RegisterInput{Email: "eve@example.com", Password: "an evil password"})
		eve, _ := e.store.Users().ByEmail(ctx, domain.MustEmail("eve@example.com"))
		evePrincipal := ports.Principal{UserID: eve.ID}
		if err := e.sessions.Revoke(ctx, evePrincipal, b.SessionID); !errors.Is(err, domain.ErrSessionNotFound) {
			t.Fatalf("other user's session: %v", err)
		}
		if err := e.sessions.Revoke(ctx, mustAuth(t, e, a.AccessToken), b.SessionID); err != nil {
			t.Fatal(err)
		}
		wantRevoked(t, e, b.AccessToken)
		if err := e.sessions.Revoke(ctx, mustAuth(t, e, a.AccessToken), b.SessionID); !errors.Is(err, domain.ErrSessionNotFound) {
			t.Fatalf("second revoke: %v", err)
		}
	})
}

func TestJanitor(t *testing.T) {
	t.Parallel()
	t.Run("keeps a revoked session while its access tokens may live and deletes it after", func(t *testing.T) {
		e := newEnv()
		a := loggedIn(t, e)
		p := mustAuth(t, e, a.AccessToken)
		e.logout.Logout(ctx, ports.LogoutInput{Principal: &p})
		j := NewJanitor(Stores{Sessions: e.store.Sessions(), Tokens: e.store.Tokens(), Attempts: e.store.Attempts(), Events: e.store.Events()}, Env{Clock: e.clock, Settings: e.settings, Log: slogDiscard()})
		e.clock.Advance(time.Hour)
		j.CleanOnce(ctx)
		if !e.store.HasSession(a.SessionID) {
			t.Fatal("deleted too early")
		}
		e.clock.Advance(time.Hour)
		j.CleanOnce(ctx)
		if e.store.HasSession(a.SessionID) {
			t.Fatal("not deleted")
		}
	})
}
