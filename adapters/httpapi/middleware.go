package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"authd/ports"
)

// routeUnmatched is the route name logged for requests that matched no endpoint.
const routeUnmatched = "unmatched"

// requestState is what the transport remembers about one request; it lives in
// c.Locals under stateKey.
type requestState struct {
	id    string
	start time.Time
	route string // matched route pattern; "" until an endpoint matched
	ip    string // the derived client IP (see clientIP)
}

type stateKey struct{}

func stateOf(c *fiber.Ctx) (*requestState, bool) {
	st, ok := c.Locals(stateKey{}).(*requestState)
	return st, ok
}

// begin gives the request its id and the headers every response carries.
func (s *Server) begin(c *fiber.Ctx) *requestState {
	st := &requestState{id: requestIDFrom(c.Get(fiber.HeaderXRequestID)), start: time.Now(), ip: s.clientIP(c)}
	c.Locals(stateKey{}, st)
	c.Set(fiber.HeaderXRequestID, st.id)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	return st
}

// requestScope is the outermost middleware: request id and security headers, the
// per-request deadline, the body limit, panic recovery, the error response and the
// request log line. It answers errors itself (through the app's one ErrorHandler)
// so that the log line sees the final status.
func (s *Server) requestScope(c *fiber.Ctx) error {
	st := s.begin(c)
	ctx, cancel := context.WithTimeout(ports.WithClient(ports.WithRequestID(context.Background(), st.id), s.clientOf(c)), s.cfg.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)

	if err := s.serve(c); err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "error handler failed",
				slog.String("request_id", st.id), slog.String("error", herr.Error()))
			c.Response().ResetBody()
			c.Status(fiber.StatusInternalServerError)
		}
	}
	s.logRequest(c, st)
	return nil
}

// serve runs the rest of the chain, turning a panic into an error.
func (s *Server) serve(c *fiber.Ctx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	if len(c.Request().Body()) > s.cfg.BodyLimit {
		return errPayloadTooLarge
	}
	return c.Next()
}

// logRequest writes the one Info line per request. It names the route pattern and
// never the raw path, query, headers, cookies or body, which may hold tokens.
func (s *Server) logRequest(c *fiber.Ctx, st *requestState) {
	route := st.route
	if route == "" {
		route = routeUnmatched
	}
	s.observe(c, route, st.start)
	s.log.LogAttrs(c.UserContext(), slog.LevelInfo, "request",
		slog.String("request_id", st.id),
		slog.String("method", c.Method()),
		slog.String("route", route),
		slog.Int("status", c.Response().StatusCode()),
		slog.Int64("duration_ms", time.Since(st.start).Milliseconds()),
		slog.String("ip", st.ip),
	)
}

// markRoute records the pattern of the endpoint that matched; router puts it first
// on every endpoint.
func markRoute(c *fiber.Ctx) error {
	if st, ok := stateOf(c); ok {
		st.route = c.Route().Path
	}
	return c.Next()
}

// noStore keeps responses that may carry tokens or personal data out of caches.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// requestIDFrom keeps a well-formed incoming id so that a request can be followed
// across services, and makes a fresh one otherwise.
func requestIDFrom(in string) string {
	if validRequestID(in) {
		return strings.Clone(in) // the header bytes are reused after the request
	}
	return newRequestID()
}

// validRequestID accepts ^[A-Za-z0-9._-]{1,64}$, so that nothing an attacker sends
// can break a log line or a header.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch ch := id[i]; {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '.', ch == '_', ch == '-':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// guardMethods answers requests whose method Fiber does not know in the contract's
// error shape; Fiber would otherwise write a bare text 400 before any middleware runs.
func (s *Server) guardMethods() {
	known := make(map[string]bool)
	for _, m := range s.app.Config().RequestMethods {
		known[m] = true
	}
	srv := s.app.Server()
	srv.Handler = methodGuard(srv.Handler, s.app.AcquireCtx, s.app.ReleaseCtx, known, func(c *fiber.Ctx) {
		s.rejectUnknownMethod(c)
	})
}

// methodGuard wraps the server's request handler. It is generic over the
// request-context type so this package needs no import of the server library
// underneath Fiber.
func methodGuard[C any](next func(C), acquire func(C) *fiber.Ctx, release func(*fiber.Ctx),
	known map[string]bool, reject func(*fiber.Ctx)) func(C) {
	return func(rc C) {
		c := acquire(rc)
		ok := known[c.Method()]
		if ok {
			release(c)
			next(rc)
			return
		}
		defer release(c)
		reject(c)
	}
}
