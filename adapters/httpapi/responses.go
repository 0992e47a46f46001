package httpapi

import (
	"errors"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// Rules every response obeys, whichever code wrote it: a handler, the error
// handler, the method guard, or the server refusing a request before any
// middleware ran. They are applied in one place, after the response is complete
// and before it is written.

// finishResponses makes the server pass every response through finish: both the
// request handler and the handler of requests the server itself refused. Call it
// after every other wrapping of the server's handler (guardMethods).
func (s *Server) finishResponses() {
	srv := s.app.Server()
	srv.Handler = afterHandler(srv.Handler, s.app.AcquireCtx, s.app.ReleaseCtx, s.finish)
	srv.ErrorHandler = afterErrorHandler(srv.ErrorHandler, s.app.AcquireCtx, s.app.ReleaseCtx, s.finish)
}

// finish gives JSON bodies their charset (Fiber's c.JSON says plain
// application/json) and every 405 the Allow header of its path.
func (s *Server) finish(c *fiber.Ctx) {
	h := &c.Response().Header
	if string(h.ContentType()) == fiber.MIMEApplicationJSON {
		h.SetContentType(fiber.MIMEApplicationJSONCharsetUTF8)
	}
	if c.Response().StatusCode() == fiber.StatusMethodNotAllowed {
		c.Set(fiber.HeaderAllow, strings.Join(s.allowedMethods(c), ", "))
	}
}

// afterHandler and afterErrorHandler run finish once next has produced the
// response. Like methodGuard they are generic over the request-context type, so
// this package needs no import of the server library underneath Fiber.
func afterHandler[C any](next func(C), acquire func(C) *fiber.Ctx, release func(*fiber.Ctx), finish func(*fiber.Ctx)) func(C) {
	return func(rc C) {
		next(rc)
		c := acquire(rc)
		defer release(c)
		finish(c)
	}
}

func afterErrorHandler[C any](next func(C, error), acquire func(C) *fiber.Ctx, release func(*fiber.Ctx), finish func(*fiber.Ctx)) func(C, error) {
	return func(rc C, err error) {
		next(rc, err)
		c := acquire(rc)
		defer release(c)
		finish(c)
	}
}

// rejectUnknownMethod answers a request whose method the server does not know:
// 405 on a path that exists (with Allow, set by finish), 404 on any other path,
// just as routing answers known methods.
func (s *Server) rejectUnknownMethod(c *fiber.Ctx) {
	err := fiber.ErrNotFound
	if len(s.allowedMethods(c)) > 0 {
		err = fiber.ErrMethodNotAllowed
	}
	_ = s.handleError(c, err) // handleError writes the response; its error is the write's
}

// errRouted and errUnrouted tell the probe's answer apart.
var (
	errRouted   = errors.New("route exists")
	errUnrouted = errors.New("no route")
)

// routeProbe answers which methods a path accepts with Fiber's own router: a
// second app holding the real app's routes (HEAD included, which Fiber adds for
// every GET) and nothing else, so the answer never differs from what routing does.
type routeProbe struct {
	once sync.Once
	app  *fiber.App
}

// allowedMethods lists the methods that are answered on c's path, in Fiber's
// method order, with OPTIONS last (the CORS middleware answers it on every route);
// nil when no route has the path.
func (s *Server) allowedMethods(c *fiber.Ctx) []string {
	s.probe.once.Do(func() { s.probe.app = newRouteProbe(s.app) })
	pc := s.probe.app.AcquireCtx(c.Context())
	defer s.probe.app.ReleaseCtx(pc)
	var allow []string
	for _, m := range s.probe.app.Config().RequestMethods {
		if m == fiber.MethodOptions || pc.Method(m) != m {
			continue
		}
		if errors.Is(pc.RestartRouting(), errRouted) {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		allow = append(allow, fiber.MethodOptions)
	}
	return allow
}

func newRouteProbe(real *fiber.App) *fiber.App {
	cfg := real.Config()
	probe := fiber.New(fiber.Config{
		CaseSensitive:  cfg.CaseSensitive,
		StrictRouting:  cfg.StrictRouting,
		UnescapePath:   cfg.UnescapePath,
		RequestMethods: cfg.RequestMethods,
	})
	routed := func(*fiber.Ctx) error { return errRouted }
	for _, r := range real.GetRoutes(true) {
		probe.Add(r.Method, r.Path, routed)
	}
	// Last, so that a path without a route ends here and not in Fiber's 405
	// detection, which would write an Allow header into the real response.
	probe.Use(func(*fiber.Ctx) error { return errUnrouted })
	probe.Handler() // builds the routing tree
	return probe
}
