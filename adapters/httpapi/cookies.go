package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"authd/ports"
)

// Names and scopes of the session cookies (contract, "Cookies").
const (
	accessCookie      = "access_token"
	refreshCookie     = "refresh_token"
	accessCookiePath  = "/"
	refreshCookiePath = "/api/v1/auth" // the refresh token is only ever sent to the auth endpoints
)

// sessionCookies builds both session cookies for t, each living until its token expires.
func (s *Server) sessionCookies(t ports.SessionTokens, now time.Time) []*fiber.Cookie {
	return []*fiber.Cookie{
		s.cookie(accessCookie, t.AccessToken, accessCookiePath, fiber.CookieSameSiteLaxMode, t.AccessExpiresAt.Sub(now)),
		s.cookie(refreshCookie, t.RefreshToken.Reveal(), refreshCookiePath, fiber.CookieSameSiteStrictMode, t.RefreshExpiresAt.Sub(now)),
	}
}

// clearedCookies builds the cookies that delete both session cookies; they carry the
// same Path and Domain as when set, or browsers would keep the originals.
func (s *Server) clearedCookies() []*fiber.Cookie {
	return []*fiber.Cookie{
		s.cookie(accessCookie, "", accessCookiePath, fiber.CookieSameSiteLaxMode, 0),
		s.cookie(refreshCookie, "", refreshCookiePath, fiber.CookieSameSiteStrictMode, 0),
	}
}

// setSessionCookies sets both session cookies on the response.
func (s *Server) setSessionCookies(c *fiber.Ctx, t ports.SessionTokens, now time.Time) {
	for _, ck := range s.sessionCookies(t, now) {
		c.Cookie(ck)
	}
}

// clearSessionCookies deletes both session cookies (logout, deactivation).
func (s *Server) clearSessionCookies(c *fiber.Ctx) {
	for _, ck := range s.clearedCookies() {
		c.Cookie(ck)
	}
}

// cookie builds one HttpOnly session cookie. A lifetime under one second deletes
// the cookie (an expiry in the past): Max-Age 0 would not be sent at all and would
// turn it into a session cookie instead.
func (s *Server) cookie(name, value, path, sameSite string, ttl time.Duration) *fiber.Cookie {
	ck := &fiber.Cookie{
		Name:     name,
		Value:    value,
		Path:     path,
		Domain:   s.cfg.CookieDomain,
		Secure:   s.cfg.CookieSecure,
		HTTPOnly: true,
		SameSite: sameSite,
	}
	if secs := roundSeconds(ttl); secs > 0 {
		ck.MaxAge = int(secs)
	} else {
		ck.Value = ""
		ck.Expires = time.Unix(0, 0).UTC()
	}
	return ck
}

// roundSeconds turns a remaining lifetime into whole seconds (never negative), so
// that a token issued for 15m a few microseconds ago still reads as 900.
func roundSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(d.Round(time.Second) / time.Second)
}
