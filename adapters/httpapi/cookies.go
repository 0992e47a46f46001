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

// sameSite returns the SameSite attributes of the access and the refresh
// cookie for AUTH_COOKIE_SAMESITE.
func (s *Server) sameSite() (access, refresh string) {
	switch s.cfg.CookieSameSite {
	case "strict":
		return fiber.CookieSameSiteStrictMode, fiber.CookieSameSiteStrictMode
	case "none": // a front end on another site; needs Secure, which the config enforces
		return fiber.CookieSameSiteNoneMode, fiber.CookieSameSiteNoneMode
	}
	return fiber.CookieSameSiteLaxMode, fiber.CookieSameSiteStrictMode
}

// cookiesOn reports whether tokens travel in cookies (AUTH_TOKEN_DELIVERY both or cookie).
func (s *Server) cookiesOn() bool { return s.cfg.TokenDelivery != "body" }

// bodyTokensOn reports whether tokens travel in the JSON (AUTH_TOKEN_DELIVERY both or body).
func (s *Server) bodyTokensOn() bool { return s.cfg.TokenDelivery != "cookie" }

// sessionCookies builds both session cookies for t, each living until its token expires.
func (s *Server) sessionCookies(t ports.SessionTokens, now time.Time) []*fiber.Cookie {
	access, refresh := s.sameSite()
	return []*fiber.Cookie{
		s.cookie(accessCookie, t.AccessToken, accessCookiePath, access, t.AccessExpiresAt.Sub(now)),
		s.cookie(refreshCookie, t.RefreshToken.Reveal(), refreshCookiePath, refresh, t.RefreshExpiresAt.Sub(now)),
	}
}

// clearedCookies builds the cookies that delete both session cookies; they carry the
// same Path and Domain as when set, or browsers would keep the originals.
func (s *Server) clearedCookies() []*fiber.Cookie {
	access, refresh := s.sameSite()
	return []*fiber.Cookie{
		s.cookie(accessCookie, "", accessCookiePath, access, 0),
		s.cookie(refreshCookie, "", refreshCookiePath, refresh, 0),
	}
}

// setSessionCookies sets both session cookies on the response, unless
// AUTH_TOKEN_DELIVERY=body.
func (s *Server) setSessionCookies(c *fiber.Ctx, t ports.SessionTokens, now time.Time) {
	if !s.cookiesOn() {
		return
	}
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
