package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
)

// problem is the contract's error body.
type problem struct {
	Status     string       `json:"status"` // "fail" for 4xx, "error" for 5xx
	StatusCode int          `json:"statusCode"`
	Code       string       `json:"code"`
	Message    string       `json:"message"`
	Errors     []fieldError `json:"errors,omitempty"`
}

// fieldError names one offending field of a validation failure.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// httpError is a failure of the transport itself (body, media type, readiness),
// which the core has no kind for. Cause, if any, goes to the log only.
type httpError struct {
	status  int
	code    string
	message string
	cause   error
}

func (e *httpError) Error() string {
	if e.cause != nil {
		return e.message + ": " + e.cause.Error()
	}
	return e.message
}

func (e *httpError) Unwrap() error { return e.cause }

var (
	errMalformedJSON        = &httpError{status: fiber.StatusBadRequest, code: "malformed_json", message: "request body is not valid JSON"}
	errNotAnObject          = &httpError{status: fiber.StatusBadRequest, code: "malformed_json", message: "request body must be a JSON object"}
	errTrailingData         = &httpError{status: fiber.StatusBadRequest, code: "malformed_json", message: "request body has data after the JSON object"}
	errUnsupportedMediaType = &httpError{status: fiber.StatusUnsupportedMediaType, code: "unsupported_media_type", message: "request body must be application/json"}
	errUnsupportedEncoding  = &httpError{status: fiber.StatusUnsupportedMediaType, code: "unsupported_media_type", message: "request body must not be content-encoded"}
	errPayloadTooLarge      = &httpError{status: fiber.StatusRequestEntityTooLarge, code: "payload_too_large", message: "request body is too large"}
)

// panicError carries a recovered panic to the error handler, which logs it.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// outcome is how one error is answered and whether it is logged.
type outcome struct {
	problem    problem
	retryAfter int        // seconds; 0 means no Retry-After header
	logLevel   slog.Level // meaningful when logIt
	logIt      bool
}

// handleError is the app's one fiber.Config.ErrorHandler: it answers any error in
// the contract's shape and logs the unexpected ones with the request id. It also
// serves requests the server refused before any middleware ran (oversized or
// unparsable requests), so it gives those their id, headers and log line too.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	st, inScope := stateOf(c)
	if !inScope {
		st = s.begin(c)
		defer s.logRequest(c, st)
	}
	s.corsHeaders(c) // also for errors raised before the CORS middleware ran
	out := s.classify(err)
	if out.logIt {
		s.logFailure(c, st, out, err)
	}
	c.Response().ResetBody()
	if out.retryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(out.retryAfter))
	}
	return c.Status(out.problem.StatusCode).JSON(out.problem)
}

// logFailure logs a 5xx with its cause, which never reaches the client.
func (s *Server) logFailure(c *fiber.Ctx, st *requestState, out outcome, err error) {
	id, route := "", routeUnmatched
	if st != nil {
		id = st.id
		if st.route != "" {
			route = st.route
		}
	}
	attrs := []slog.Attr{
		slog.String("request_id", id),
		slog.String("method", c.Method()),
		slog.String("route", route),
		slog.Int("status", out.problem.StatusCode),
		slog.String("code", out.problem.Code),
	}
	msg := "request failed"
	if pe, ok := errors.AsType[*panicError](err); ok {
		msg = "panic"
		attrs = append(attrs, slog.String("panic", fmt.Sprint(pe.value)), slog.String("stack", string(pe.stack)))
	} else {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	s.log.LogAttrs(c.UserContext(), out.logLevel, msg, attrs...)
}

// classify maps an error to its answer: transport errors as they are, domain
// errors by kind, Fiber's own errors by status, a passed deadline as 503, and
// anything else as an internal error whose text stays in the log.
func (s *Server) classify(err error) outcome {
	if _, ok := errors.AsType[*panicError](err); ok {
		return internalOutcome()
	}
	if he, ok := errors.AsType[*httpError](err); ok {
		if he.status >= 500 {
			return outcome{problem: newProblem(he.status, he.code, he.message), logIt: true, logLevel: slog.LevelWarn}
		}
		msg := he.message
		if he == errPayloadTooLarge {
			msg = "request body must be at most " + strconv.Itoa(s.cfg.BodyLimit) + " bytes"
		}
		return outcome{problem: newProblem(he.status, he.code, msg)}
	}
	if fe, ok := errors.AsType[*fiber.Error](err); ok {
		return s.fiberOutcome(fe)
	}
	de, isDomain := errors.AsType[*domain.Error](err)
	if errors.Is(err, context.DeadlineExceeded) && (!isDomain || de.Kind == domain.Internal) {
		return unavailableOutcome(domain.ErrUnavailable)
	}
	if !isDomain {
		return internalOutcome()
	}
	return domainOutcome(de)
}

// domainOutcome applies the one table from error kinds to statuses.
func domainOutcome(de *domain.Error) outcome {
	status := 0
	switch de.Kind {
	case domain.Invalid:
		status = fiber.StatusBadRequest
	case domain.Unauthenticated:
		status = fiber.StatusUnauthorized
	case domain.Forbidden:
		status = fiber.StatusForbidden
	case domain.NotFound:
		status = fiber.StatusNotFound
	case domain.Conflict:
		status = fiber.StatusConflict
	case domain.RateLimited:
		status = fiber.StatusTooManyRequests
	case domain.Unavailable:
		return unavailableOutcome(de)
	default:
		return internalOutcome()
	}
	p := newProblem(status, de.Code, de.Message)
	if p.Code == "" {
		p.Code = codeForStatus(status)
	}
	for _, f := range de.Fields {
		p.Errors = append(p.Errors, fieldError(f))
	}
	out := outcome{problem: p}
	if de.Kind == domain.RateLimited {
		// Whole seconds, at least one, never past the moment the request would pass.
		out.retryAfter = max(1, int(de.RetryAfter/time.Second))
	}
	return out
}

// fiberOutcome answers the errors Fiber and its server produce themselves.
func (s *Server) fiberOutcome(fe *fiber.Error) outcome {
	switch fe.Code {
	case fiber.StatusNotFound:
		return outcome{problem: newProblem(fe.Code, "not_found", "route not found")}
	case fiber.StatusMethodNotAllowed:
		return outcome{problem: newProblem(fe.Code, "method_not_allowed", "method not allowed")}
	case fiber.StatusRequestEntityTooLarge:
		return s.classify(errPayloadTooLarge)
	case fiber.StatusUnsupportedMediaType:
		return s.classify(errUnsupportedMediaType)
	case fiber.StatusBadRequest:
		return outcome{problem: newProblem(fe.Code, "malformed_json", "malformed request")}
	case fiber.StatusServiceUnavailable:
		return unavailableOutcome(domain.ErrUnavailable)
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return outcome{problem: newProblem(fe.Code, codeForStatus(fe.Code), strings.ToLower(http.StatusText(fe.Code)))}
	}
	return internalOutcome()
}

func internalOutcome() outcome {
	return outcome{
		problem:  newProblem(fiber.StatusInternalServerError, domain.ErrInternal.Code, domain.ErrInternal.Message),
		logIt:    true,
		logLevel: slog.LevelError,
	}
}

func unavailableOutcome(de *domain.Error) outcome {
	code, msg := de.Code, de.Message
	if code == "" {
		code, msg = domain.ErrUnavailable.Code, domain.ErrUnavailable.Message
	}
	return outcome{problem: newProblem(fiber.StatusServiceUnavailable, code, msg), logIt: true, logLevel: slog.LevelWarn}
}

func newProblem(status int, code, message string) problem {
	p := problem{Status: "fail", StatusCode: status, Code: code, Message: message}
	if status >= 500 {
		p.Status = "error"
	}
	return p
}

// codeForStatus derives a snake_case code for statuses the contract does not name.
func codeForStatus(status int) string {
	text := http.StatusText(status)
	if text == "" {
		return "error"
	}
	return strings.ReplaceAll(strings.ToLower(strings.ReplaceAll(text, "-", " ")), " ", "_")
}
