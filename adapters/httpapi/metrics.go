package httpapi

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// observe reports one answered request under its route pattern (never the
// raw path, which may hold a token) to the metrics port, when there is one.
func (s *Server) observe(c *fiber.Ctx, route string, start time.Time) {
	if s.svc.Metrics == nil {
		return
	}
	// Labels outlive the request, whose buffers fasthttp reuses: copy them out.
	s.svc.Metrics.HTTPRequest(strings.Clone(route), strings.Clone(c.Method()), c.Response().StatusCode(), time.Since(start))
}
