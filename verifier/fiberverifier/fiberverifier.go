package fiberverifier

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"authd/verifier"
)

type localsKey struct{}

// New returns a handler that lets a request through only with a token authd
// would accept, with its claims in c.Locals (ClaimsFrom) and in c.UserContext
// (verifier.ClaimsFrom); otherwise it answers in authd's error shape, exactly
// as verifier.Middleware does.
func New(v *verifier.Verifier) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var auth []string
		for _, h := range c.Request().Header.PeekAll(fiber.HeaderAuthorization) {
			auth = append(auth, string(h)) // string() copies out of the request buffer
		}
		var cookie string
		if name := v.Cookie(); name != "" {
			cookie = strings.Clone(c.Cookies(name))
		}
		tok, err := verifier.TokenFrom(auth, cookie)
		if err == nil {
			var claims verifier.Claims
			if claims, err = v.Verify(c.UserContext(), tok); err == nil {
				c.Locals(localsKey{}, claims)
				c.SetUserContext(verifier.NewContext(c.UserContext(), claims))
				return c.Next()
			}
		}
		status, body := verifier.ErrorResponse(err)
		c.Set(fiber.HeaderContentType, "application/json; charset=utf-8")
		c.Set(fiber.HeaderCacheControl, "no-store")
		if status == fiber.StatusUnauthorized {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="authd"`)
		}
		return c.Status(status).Send(body)
	}
}

// ClaimsFrom returns the claims New verified for this request.
func ClaimsFrom(c *fiber.Ctx) (verifier.Claims, bool) {
	claims, ok := c.Locals(localsKey{}).(verifier.Claims)
	return claims, ok
}
