package httpapi

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
)

// readyPingTimeout bounds each dependency ping, so /readyz answers quickly even
// when a dependency hangs.
const readyPingTimeout = 2 * time.Second

// healthz says the process serves, and which build; it checks nothing else.
func (s *Server) healthz(c *fiber.Ctx) error {
	v := s.cfg.Version
	if v == "" {
		v = "dev"
	}
	return c.JSON(fiber.Map{"status": "ok", "version": v})
}

// readyz pings every dependency at once and answers 503 naming the ones that
// failed; their errors go to the log only.
func (s *Server) readyz(c *fiber.Ctx) error {
	checks := s.svc.Readiness
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, ch := range checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(c.UserContext(), readyPingTimeout)
			defer cancel()
			if ch.Pinger == nil {
				errs[i] = errors.New("no pinger configured")
				return
			}
			errs[i] = ch.Pinger.Ping(ctx)
		})
	}
	wg.Wait()

	status := make(map[string]string, len(checks))
	var failed []string
	var causes []error
	for i, ch := range checks {
		if errs[i] != nil {
			status[ch.Name] = "unavailable"
			failed = append(failed, ch.Name)
			causes = append(causes, errors.New(ch.Name+": "+errs[i].Error()))
			continue
		}
		status[ch.Name] = "ok"
	}
	if len(failed) > 0 {
		return &httpError{
			status:  fiber.StatusServiceUnavailable,
			code:    domain.ErrUnavailable.Code,
			message: strings.Join(failed, ", ") + " unavailable",
			cause:   errors.Join(causes...),
		}
	}
	return c.JSON(fiber.Map{"status": "ok", "checks": status})
}

// jwks publishes the public keys so other services can verify access tokens
// offline, cacheable for JWKSMaxAge (verifiers refetch on an unknown kid).
func (s *Server) jwks(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	maxAge := s.cfg.JWKSMaxAge
	if maxAge <= 0 {
		maxAge = 5 * time.Minute
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age="+strconv.Itoa(int(maxAge/time.Second)))
	return c.Send(append([]byte(nil), s.svc.Keys.JWKS()...))
}
