package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"authd/internal/testkit"
	"authd/ports"
)

func TestSessionCookies(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{CookieSecure: true, CookieDomain: "example.com"}, testServices())
	now := time.Now()
	got := s.sessionCookies(ports.SessionTokens{
		AccessToken:      "at",
		AccessExpiresAt:  now.Add(15*time.Minute - time.Millisecond),
		RefreshToken:     "rt",
		RefreshExpiresAt: now.Add(168 * time.Hour),
	}, now)
	want := []fiber.Cookie{
		{Name: "access_token", Value: "at", Path: "/", Domain: "example.com", MaxAge: 900, Secure: true, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode},
		{Name: "refresh_token", Value: "rt", Path: "/api/v1/auth", Domain: "example.com", MaxAge: 604800, Secure: true, HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode},
	}
	for i := range want {
		if *got[i] != want[i] {
			t.Errorf("cookie %d = %+v, want %+v", i, *got[i], want[i])
		}
	}
}

func TestClearedCookiesMatchPathAndDomain(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{CookieDomain: "example.com"}, testServices())
	for i, ck := range s.clearedCookies() {
		set := []string{"/", "/api/v1/auth"}[i]
		if ck.Path != set || ck.Domain != "example.com" || ck.Value != "" || ck.MaxAge != 0 ||
			ck.Expires.IsZero() || !ck.Expires.Before(time.Now()) || !ck.HTTPOnly {
			t.Errorf("cleared cookie %+v", *ck)
		}
	}
}

func TestCookieHeadersOnTheWire(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{CookieSecure: false}, testServices())
	r := router{s.App()}
	r.get("/set", func(c *fiber.Ctx) error {
		now := time.Now()
		s.setSessionCookies(c, ports.SessionTokens{AccessToken: "at", AccessExpiresAt: now.Add(time.Minute),
			RefreshToken: "rt", RefreshExpiresAt: now.Add(time.Hour)}, now)
		return c.SendStatus(http.StatusNoContent)
	})
	r.get("/clear", func(c *fiber.Ctx) error {
		s.clearSessionCookies(c)
		return c.SendStatus(http.StatusNoContent)
	})

	resp, _ := send(t, s, testkit.NewRequest(http.MethodGet, "/set", ""))
	assertSetCookies(t, resp.Header.Values("Set-Cookie"), []string{
		"access_token=at; max-age=60; path=/; HttpOnly; SameSite=Lax",
		"refresh_token=rt; max-age=3600; path=/api/v1/auth; HttpOnly; SameSite=Strict",
	})
	resp, _ = send(t, s, testkit.NewRequest(http.MethodGet, "/clear", ""))
	assertSetCookies(t, resp.Header.Values("Set-Cookie"), []string{
		"access_token=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/; HttpOnly; SameSite=Lax",
		"refresh_token=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/api/v1/auth; HttpOnly; SameSite=Strict",
	})
	for _, c := range resp.Cookies() {
		if c.MaxAge >= 0 && !c.Expires.Before(time.Now()) {
			t.Errorf("cookie %s is not deleted", c.Name)
		}
	}
}

func assertSetCookies(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Set-Cookie = %q, want %q", got, want)
	}
	for i := range want {
		if !strings.EqualFold(got[i], want[i]) {
			t.Errorf("Set-Cookie[%d] = %q, want %q", i, got[i], want[i])
		}
	}
}
