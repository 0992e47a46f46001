package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"authd/domain"
	"authd/internal/testkit"
	"authd/ports"
)

// Trivial stubs of the inbound ports: enough to drive the transport, no behaviour
// of the real use cases.

const goodToken = "good.access-token_value"

var testUser = &domain.User{
	ID:            "0193a1b2-0000-7000-8000-000000000001",
	Email:         domain.MustEmail("jane@example.com"),
	PasswordHash:  "$argon2id$secret-hash",
	Profile:       domain.Profile{FirstName: "Jane", Phone: "+14155550100"},
	Role:          "customer",
	EmailVerified: true,
	CreatedAt:     time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600)),
	UpdatedAt:     time.Date(2025, 1, 2, 3, 4, 5, 123000000, time.UTC),
}

type stubAuthenticator struct{}

func (stubAuthenticator) Authenticate(_ context.Context, token string) (ports.Principal, error) {
	if token != goodToken {
		return ports.Principal{}, domain.ErrInvalidToken
	}
	return ports.Principal{UserID: testUser.ID, SessionID: "sid-1", Email: testUser.Email, Role: testUser.Role}, nil
}

type stubProfile struct {
	mu    sync.Mutex
	patch *domain.ProfilePatch
}

func (p *stubProfile) Me(_ context.Context, who ports.Principal) (*domain.User, error) {
	u := *testUser
	u.ID = who.UserID
	return &u, nil
}

func (p *stubProfile) Update(_ context.Context, _ ports.Principal, patch domain.ProfilePatch) (*domain.User, error) {
	p.mu.Lock()
	p.patch = &patch
	p.mu.Unlock()
	prof, err := patch.Apply(testUser.Profile)
	if err != nil {
		return nil, err
	}
	u := *testUser
	u.Profile = prof
	return &u, nil
}

func (p *stubProfile) lastPatch() *domain.ProfilePatch {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.patch
}

type stubLogin struct{}

func (stubLogin) Login(_ context.Context, in ports.LoginInput) (ports.SessionTokens, error) {
	if in.Password != "correct horse" {
		return ports.SessionTokens{}, domain.ErrInvalidCredentials
	}
	now := time.Now()
	return ports.SessionTokens{
		IssuedAt:         now,
		SessionID:        "sid-1",
		AccessToken:      goodToken,
		AccessExpiresAt:  now.Add(15 * time.Minute),
		RefreshToken:     "refresh-secret",
		RefreshExpiresAt: now.Add(168 * time.Hour),
		User:             testUser,
	}, nil
}

type stubVerification struct{}

func (stubVerification) Verify(_ context.Context, token domain.Secret, _ ports.Client) error {
	switch token.Reveal() {
	case "good-token":
		return nil
	case "broken-db":
		return domain.WrapUnavailable(errSecretDriverText)
	}
	return domain.ErrInvalidVerificationToken
}

func (stubVerification) Resend(_ context.Context, email string, _ ports.Client) error {
	_, err := domain.ParseEmail(email)
	return err
}

type stubKeys struct{}

func (stubKeys) JWKS() []byte { return []byte(`{"keys":[]}`) }

type pingerFunc func(ctx context.Context) error

func (f pingerFunc) Ping(ctx context.Context) error { return f(ctx) }

// errSecretDriverText stands for an error from below whose text must never reach a client.
var errSecretDriverText = &textError{"sqlite: SELECT * FROM users: disk I/O error"}

type textError struct{ s string }

func (e *textError) Error() string { return e.s }

// logBuffer collects a server's JSON log.
type logBuffer struct{ testkit.Buffer }

// requestLines returns the request log records.
func (b *logBuffer) requestLines(t *testing.T) []map[string]any {
	var out []map[string]any
	for _, m := range b.JSONLines(t) {
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

func testServices() Services {
	return Services{
		EmailVerification: stubVerification{},
		Login:             stubLogin{},
		Authenticator:     stubAuthenticator{},
		Profile:           &stubProfile{},
		Keys:              stubKeys{},
		Readiness:         []Check{{Name: "database", Pinger: pingerFunc(func(context.Context) error { return nil })}},
	}
}

func newTestServer(t *testing.T, cfg Config, svc Services) (*Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return NewServer(cfg, svc, logger), logs
}

// send runs one request through the app (Fiber's app.Test) and returns the
// response with its body read.
func send(t *testing.T, s *Server, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	app := testkit.RoundTripFunc(func(req *http.Request) (*http.Response, error) { return s.App().Test(req, 10_000) })
	r := (&testkit.Client{Transport: app}).Send(t, req)
	return r.Response, r.Bytes()
}

// decodeProblem checks that body is exactly the contract's error shape and returns it.
func decodeProblem(t *testing.T, resp *http.Response, body []byte) problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("error Content-Type = %q, want application/json; charset=utf-8", ct)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("error body is not a JSON object: %s", body)
	}
	for k := range raw {
		switch k {
		case "status", "statusCode", "code", "message", "errors":
		default:
			t.Errorf("error body has unexpected key %q: %s", k, body)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var p problem
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decode error body: %v: %s", err, body)
	}
	if p.StatusCode != resp.StatusCode {
		t.Errorf("statusCode = %d, HTTP status %d", p.StatusCode, resp.StatusCode)
	}
	wantStatus := "fail"
	if resp.StatusCode >= 500 {
		wantStatus = "error"
	}
	if p.Status != wantStatus {
		t.Errorf("status = %q, want %q", p.Status, wantStatus)
	}
	if p.Code == "" || p.Message == "" {
		t.Errorf("code and message must be set: %s", body)
	}
	if _, has := raw["errors"]; has && p.Code != "validation_failed" {
		t.Errorf("errors present on a %s error", p.Code)
	}
	assertSecurityHeaders(t, resp)
	return p
}

func assertSecurityHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q", got)
	}
	if got := resp.Header.Get("X-Request-ID"); !validRequestID(got) {
		t.Errorf("X-Request-ID = %q", got)
	}
}
