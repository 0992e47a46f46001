package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
	"authd/ports"
)

type principalKey struct{}
type cookieAuthKey struct{}

// requireAuth protects a route: it authenticates the access token and stores the
// caller for the handlers behind it. The token comes from the Authorization header
// when that header is present at all (a malformed one is invalid_token, with no
// fallback), else from the access_token cookie; none is unauthenticated.
func (s *Server) requireAuth(c *fiber.Ctx) error {
	token, fromCookie, err := accessTokenOf(c)
	if err != nil {
		return err
	}
	if fromCookie {
		if err := s.checkCSRF(c); err != nil {
			return err
		}
	}
	p, err := s.svc.Authenticator.Authenticate(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.Locals(principalKey{}, p)
	c.Locals(cookieAuthKey{}, fromCookie)
	return c.Next()
}

// accessTokenOf finds the presented access token and says whether it came from the cookie.
func accessTokenOf(c *fiber.Ctx) (token string, fromCookie bool, err error) {
	if values := c.Request().Header.PeekAll(fiber.HeaderAuthorization); len(values) > 0 {
		if len(values) > 1 {
			return "", false, domain.ErrInvalidToken
		}
		token, ok := parseBearer(string(values[0])) // string() copies out of the request buffer
		if !ok {
			return "", false, domain.ErrInvalidToken
		}
		return token, false, nil
	}
	if v := c.Cookies(accessCookie); v != "" {
		return strings.Clone(v), true, nil
	}
	return "", false, domain.ErrUnauthenticated
}

// parseBearer accepts "Bearer <token68>" (scheme case-insensitive, RFC 6750).
func parseBearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	if token == "" {
		return "", false
	}
	body := strings.TrimRight(token, "=")
	if body == "" {
		return "", false
	}
	for i := 0; i < len(body); i++ {
		switch ch := body[i]; {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9',
			ch == '-', ch == '.', ch == '_', ch == '~', ch == '+', ch == '/':
		default:
			return "", false
		}
	}
	return token, true
}

// principalOf returns the caller stored by requireAuth.
func principalOf(c *fiber.Ctx) (ports.Principal, bool) {
	p, ok := c.Locals(principalKey{}).(ports.Principal)
	return p, ok
}

// authenticatedByCookie reports whether requireAuth took the token from the cookie,
// which is what CSRF checks and logout need to know.
func authenticatedByCookie(c *fiber.Ctx) bool {
	v, _ := c.Locals(cookieAuthKey{}).(bool)
	return v
}

// caller is principalOf for handlers behind requireAuth; it fails closed.
func caller(c *fiber.Ctx) (ports.Principal, error) {
	p, ok := principalOf(c)
	if !ok {
		return ports.Principal{}, domain.ErrUnauthenticated
	}
	return p, nil
}
