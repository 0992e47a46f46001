package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
	"authd/internal/testkit"
)

func TestErrorHandlerMapsEveryKind(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		code       string
		message    string
		retryAfter string
		logged     bool
	}{
		{"validation", domain.Validation(domain.FieldError{Field: "password", Message: "must be at least 8 characters"}),
			400, "validation_failed", "password must be at least 8 characters", "", false},
		{"invalid token of a kind", domain.ErrInvalidVerificationToken, 400, "invalid_verification_token", "invalid or expired verification token", "", false},
		{"unauthenticated", domain.ErrInvalidCredentials, 401, "invalid_credentials", "invalid email or password", "", false},
		{"forbidden", domain.ErrEmailNotVerified, 403, "email_not_verified", "email address not verified", "", false},
		{"not found", domain.ErrSessionNotFound, 404, "not_found", "session not found", "", false},
		{"conflict", domain.ErrEmailTaken, 409, "email_taken", "email is already registered", "", false},
		{"wrapped conflict", fmt.Errorf("register: %w", domain.ErrEmailTaken), 409, "email_taken", "email is already registered", "", false},
		{"rate limited rounds Retry-After down, never past the moment it would pass", &domain.Error{Kind: domain.RateLimited, Code: "rate_limited",
			Message: "slow down", RetryAfter: 2500 * time.Millisecond}, 429, "rate_limited", "slow down", "2", false},
		{"rate limited without a delay still says 1", domain.ErrRateLimited, 429, "rate_limited", domain.ErrRateLimited.Message, "1", false},
		{"unavailable hides its cause", domain.WrapUnavailable(errSecretDriverText), 503, "dependency_unavailable", domain.ErrUnavailable.Message, "", true},
		{"a passed deadline is unavailable", fmt.Errorf("sqlite: query: %w", context.DeadlineExceeded), 503, "dependency_unavailable", domain.ErrUnavailable.Message, "", true},
		{"internal", domain.ErrInternal, 500, "internal", "internal error", "", true},
		{"anything unexpected is internal", errSecretDriverText, 500, "internal", "internal error", "", true},
		{"fiber 404", fiber.ErrNotFound, 404, "not_found", "route not found", "", false},
		{"fiber 405", fiber.ErrMethodNotAllowed, 405, "method_not_allowed", "method not allowed", "", false},
		{"fiber 413", fiber.ErrRequestEntityTooLarge, 413, "payload_too_large", "request body must be at most 65536 bytes", "", false},
		{"fiber 415", fiber.ErrUnsupportedMediaType, 415, "unsupported_media_type", "request body must be application/json", "", false},
		{"fiber 400", fiber.NewError(400, "error when parsing request: secret detail"), 400, "malformed_json", "malformed request", "", false},
		{"fiber 431", fiber.ErrRequestHeaderFieldsTooLarge, 431, "request_header_fields_too_large", "request header fields too large", "", false},
		{"fiber 502", fiber.ErrBadGateway, 500, "internal", "internal error", "", true},
		{"a transport 415", errUnsupportedMediaType, 415, "unsupported_media_type", "request body must be application/json", "", false},
		{"a panic", &panicError{value: "boom: " + errSecretDriverText.Error()}, 500, "internal", "internal error", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := newTestServer(t, Config{}, testServices())
			router{s.App()}.get("/fail", func(*fiber.Ctx) error { return tt.err })

			req, _ := http.NewRequest(http.MethodGet, "/fail", nil)
			req.Header.Set("X-Request-ID", "req-123")
			resp, body := send(t, s, req)
			p := decodeProblem(t, resp, body)

			if resp.StatusCode != tt.status || p.Code != tt.code || p.Message != tt.message {
				t.Fatalf("got %d %s, want %d %s %q", resp.StatusCode, body, tt.status, tt.code, tt.message)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			if strings.Contains(string(body), "sqlite") || strings.Contains(string(body), "secret detail") {
				t.Errorf("body leaks error text: %s", body)
			}
			var failures []map[string]any
			for _, l := range logs.JSONLines(t) {
				if l["msg"] == "request failed" || l["msg"] == "panic" {
					failures = append(failures, l)
				}
			}
			if tt.logged != (len(failures) == 1) {
				t.Fatalf("logged = %v, want %v: %s", len(failures), tt.logged, logs)
			}
			if tt.logged && (failures[0]["request_id"] != "req-123" || failures[0]["route"] != "/fail") {
				t.Errorf("failure log lacks request id or route: %v", failures[0])
			}
			if tt.status == 500 && failures[0]["level"] != "ERROR" {
				t.Errorf("a 500 must be logged at Error: %v", failures[0])
			}
		})
	}
}

func TestErrorHandlerListsFieldsOnlyForValidation(t *testing.T) {
	s, _ := newTestServer(t, Config{}, testServices())
	out := s.classify(domain.Validation(
		domain.FieldError{Field: "email", Message: "is required"},
		domain.FieldError{Field: "phone", Message: "must be in E.164 format, e.g. +14155550100"}))
	if len(out.problem.Errors) != 2 || out.problem.Errors[1].Field != "phone" || out.problem.Message != "email is required (and 1 more)" {
		t.Fatalf("got %+v", out.problem)
	}
	if out := s.classify(domain.ErrInvalidToken); out.problem.Errors != nil {
		t.Fatalf("errors on a non-validation error: %+v", out.problem)
	}
}

func TestPanicBecomesInternalErrorAndIsLogged(t *testing.T) {
	s, logs := newTestServer(t, Config{}, testServices())
	router{s.App()}.get("/panic", func(*fiber.Ctx) error { panic("kaboom: token=abc") })

	resp, body := send(t, s, testkit.NewRequest(http.MethodGet, "/panic", ""))
	p := decodeProblem(t, resp, body)
	if resp.StatusCode != 500 || p.Code != "internal" || strings.Contains(string(body), "kaboom") {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
	var found bool
	for _, l := range logs.JSONLines(t) {
		if l["msg"] == "panic" && strings.Contains(l["panic"].(string), "kaboom") && l["stack"] != "" {
			found = true
		}
	}
	if !found {
		t.Fatalf("panic not logged: %s", logs)
	}
	if lines := logs.requestLines(t); len(lines) != 1 || lines[0]["status"] != float64(500) {
		t.Fatalf("request line after a panic: %v", lines)
	}
}

func TestRequestDeadlineIsOnTheContext(t *testing.T) {
	s, _ := newTestServer(t, Config{RequestTimeout: 20 * time.Millisecond}, testServices())
	router{s.App()}.get("/slow", func(c *fiber.Ctx) error {
		if _, ok := c.UserContext().Deadline(); !ok {
			return errors.New("no deadline")
		}
		<-c.UserContext().Done()
		return fmt.Errorf("store: %w", c.UserContext().Err())
	})
	resp, body := send(t, s, testkit.NewRequest(http.MethodGet, "/slow", ""))
	if p := decodeProblem(t, resp, body); resp.StatusCode != 503 || p.Code != "dependency_unavailable" {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
}
