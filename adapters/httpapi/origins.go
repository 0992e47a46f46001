package httpapi

import (
	"errors"
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

// originOfHeader normalises an Origin header, which must be a bare origin: a
// value with user info, a path, a query or a fragment is no browser's and counts
// as foreign, like "null".
func originOfHeader(h string) string {
	u, err := url.Parse(h)
	if err != nil || u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return ""
	}
	return normalizeOrigin(h)
}

// allowedCORS reports whether the page at origin (an Origin header) may read
// responses with credentials.
func (o origins) allowedCORS(origin string) bool {
	n := originOfHeader(origin)
	return n != "" && o.cors[n]
}

// trusted reports whether a request from origin (an Origin header) may act with
// the user's cookies.
func (o origins) trusted(origin string) bool {
	n := originOfHeader(origin)
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

// corsHeaders puts the headers of an actual response on c for an allowed origin
// (Vary: Origin for every origin, since the answer depends on it) and reports
// whether the origin is allowed. It is safe to call more than once per request.
func (s *Server) corsHeaders(c *fiber.Ctx) bool {
	c.Vary(fiber.HeaderOrigin)
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" || !s.origins.allowedCORS(origin) {
		return false
	}
	c.Set(fiber.HeaderAccessControlAllowOrigin, strings.Clone(origin))
	c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
	c.Set(fiber.HeaderAccessControlExposeHeaders, corsExposeHeaders)
	return true
}

// cors adds the CORS headers for allowed origins and answers preflight requests:
// 204 for every origin, with the CORS headers for allowed ones only, so browsers
// keep other pages from sending or reading credentialed requests. A plain OPTIONS
// request is answered by options.
func (s *Server) cors(c *fiber.Ctx) error {
	allowed := s.corsHeaders(c)
	if c.Method() != fiber.MethodOptions {
		return c.Next()
	}
	if c.Get(fiber.HeaderAccessControlRequestMethod) == "" {
		return options(c)
	}
	if allowed {
		c.Set(fiber.HeaderAccessControlAllowMethods, corsAllowMethods)
		c.Set(fiber.HeaderAccessControlAllowHeaders, corsAllowHeaders)
		c.Set(fiber.HeaderAccessControlMaxAge, corsMaxAge)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// options answers OPTIONS on a known route with 204 and the route's methods in
// Allow (RFC 9110); an unknown route stays 404. No route registers OPTIONS, so
// routing reports a known route as 405 with Allow already filled in.
func options(c *fiber.Ctx) error {
	err := c.Next()
	if fe, ok := errors.AsType[*fiber.Error](err); ok && fe.Code == fiber.StatusMethodNotAllowed {
		c.Append(fiber.HeaderAllow, fiber.MethodOptions)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return err
}
