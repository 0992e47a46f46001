package httpapi

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
)

// origins knows which browser origins may send credentialed requests: the
// service's own and those of AUTH_CORS_ORIGINS.
type origins struct {
	own  string
	cors map[string]bool
}

func newOrigins(publicURL string, cors []string) origins {
	o := origins{own: normalizeOrigin(publicURL), cors: map[string]bool{}}
	for _, c := range cors {
		if n := normalizeOrigin(c); n != "" {
			o.cors[n] = true
		}
	}
	return o
}

// normalizeOrigin reduces a URL or Origin header to scheme://host[:port] in lower
// case without default ports; "" for anything that is not an http(s) origin
// (including the opaque origin "null").
func normalizeOrigin(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host
}

// allowedCORS reports whether origin may read responses with credentials.
func (o origins) allowedCORS(origin string) bool { return o.cors[normalizeOrigin(origin)] }

// trusted reports whether a request from origin may act with the user's cookies.
func (o origins) trusted(origin string) bool {
	n := normalizeOrigin(origin)
	return n != "" && (n == o.own || o.cors[n])
}

// isUnsafe reports whether a method changes state.
func isUnsafe(method string) bool {
	switch method {
	case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete:
		return true
	}
	return false
}

// checkCSRF refuses a cookie-authenticated unsafe request that a foreign page
// made the browser send: its Origin is present and neither ours nor allowed.
// Requests without Origin come from non-browser clients (or same-origin GETs).
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	origin := c.Get(fiber.HeaderOrigin)
	if !isUnsafe(c.Method()) || origin == "" || s.origins.trusted(origin) {
		return nil
	}
	return domain.ErrCSRFRejected
}

// CORS answers, for allowed origins only.
const (
	corsAllowMethods  = "GET, POST, PATCH, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, X-Request-ID"
	corsExposeHeaders = "X-Request-ID, Retry-After"
	corsMaxAge        = "600"
)

// cors adds the CORS headers for allowed origins and answers their preflight
// requests; other origins get no CORS headers, so browsers keep their pages
// from reading our responses.
func (s *Server) cors(c *fiber.Ctx) error {
	c.Vary(fiber.HeaderOrigin)
	origin := c.Get(fiber.HeaderOrigin)
	allowed := origin != "" && s.origins.allowedCORS(origin)
	preflight := c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != ""
	if allowed {
		c.Set(fiber.HeaderAccessControlAllowOrigin, strings.Clone(origin))
		c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
		c.Set(fiber.HeaderAccessControlExposeHeaders, corsExposeHeaders)
	}
	if !preflight {
		return c.Next()
	}
	if allowed {
		c.Set(fiber.HeaderAccessControlAllowMethods, corsAllowMethods)
		c.Set(fiber.HeaderAccessControlAllowHeaders, corsAllowHeaders)
		c.Set(fiber.HeaderAccessControlMaxAge, corsMaxAge)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
