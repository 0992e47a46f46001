package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"authd/internal/testkit"
	"authd/ports"
)

func TestValidRequestID(t *testing.T) {
	for id, want := range map[string]bool{
		"abc":                    true,
		"A-b_c.9":                true,
		strings.Repeat("a", 64):  true,
		"":                       false,
		strings.Repeat("a", 65):  false,
		"has space":              false,
		"new\nline":              false,
		"semi;colon":             false,
		"ünicode":                false,
		"01234567-89ab-cdef-xyz": true,
	} {
		if got := validRequestID(id); got != want {
			t.Errorf("validRequestID(%q) = %v, want %v", id, got, want)
		}
	}
	if id := newRequestID(); len(id) != 32 || !validRequestID(id) || id == newRequestID() {
		t.Errorf("newRequestID() = %q", id)
	}
}

func TestRequestIDIsEchoedOrReplaced(t *testing.T) {
	s, logs := newTestServer(t, Config{}, testServices())
	var seen string
	router{s.App()}.get("/id", func(c *fiber.Ctx) error {
		seen = ports.RequestID(c.UserContext())
		return c.SendStatus(http.StatusNoContent)
	})
	tests := []struct {
		name, incoming string
		kept           bool
	}{
		{"a well-formed id is kept", "client-req.42_x", true},
		{"a malformed id is replaced", "bad id\twith tabs", false},
		{"an over-long id is replaced", strings.Repeat("x", 65), false},
		{"a missing id is generated", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, "/id", nil)
			if tt.incoming != "" {
				req.Header.Set("X-Request-ID", tt.incoming)
			}
			resp, _ := send(t, s, req)
			got := resp.Header.Get("X-Request-ID")
			if tt.kept && got != tt.incoming {
				t.Fatalf("X-Request-ID = %q, want %q", got, tt.incoming)
			}
			if !tt.kept && (got == tt.incoming || len(got) != 32 || !validRequestID(got)) {
				t.Fatalf("X-Request-ID = %q, want a fresh id", got)
			}
			if seen != got {
				t.Fatalf("context request id %q, header %q", seen, got)
			}
			lines := logs.requestLines(t)
			if last := lines[len(lines)-1]; last["request_id"] != got {
				t.Fatalf("log request_id %v, header %q", last["request_id"], got)
			}
		})
	}
}

func TestSecurityAndCacheHeaders(t *testing.T) {
	s, _ := newTestServer(t, Config{}, testServices())
	tests := []struct {
		name    string
		req     *http.Request
		status  int
		noStore bool
	}{
		{"health check", testkit.NewRequest(http.MethodGet, "/healthz", ""), 200, false},
		{"unknown route", testkit.NewRequest(http.MethodGet, "/nope", ""), 404, false},
		{"auth endpoint error", testkit.NewRequest(http.MethodPost, "/api/v1/auth/login", `{"email":"a@b.c","password":"wrong"}`), 401, true},
		{"auth endpoint success", testkit.NewRequest(http.MethodPost, "/api/v1/auth/login", `{"email":"a@b.c","password":"correct horse"}`), 200, true},
		{"users endpoint without a token", testkit.NewRequest(http.MethodGet, "/api/v1/users/me", ""), 401, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(t, s, tt.req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			assertSecurityHeaders(t, resp)
			if got := resp.Header.Get("Cache-Control") == "no-store"; got != tt.noStore {
				t.Fatalf("Cache-Control = %q", resp.Header.Get("Cache-Control"))
			}
		})
	}
}

func TestUnmatchedRoutesAnswerInTheErrorShape(t *testing.T) {
	s, _ := newTestServer(t, Config{}, testServices())
	tests := []struct {
		name   string
		method string
		path   string
		status int
		code   string
		allow  string
	}{
		{"unknown path", http.MethodGet, "/api/v1/nothing", 404, "not_found", ""},
		{"unknown path under a group", http.MethodPost, "/api/v1/auth/nothing", 404, "not_found", ""},
		{"paths are case-sensitive", http.MethodGet, "/HEALTHZ", 404, "not_found", ""},
		{"wrong method on a POST route", http.MethodGet, "/api/v1/auth/login", 405, "method_not_allowed", "POST, OPTIONS"},
		{"wrong method on a GET/PATCH/DELETE route", http.MethodPut, "/api/v1/users/me", 405, "method_not_allowed", "GET, HEAD, DELETE, PATCH, OPTIONS"},
		{"a method nobody knows", "FROB", "/healthz", 405, "method_not_allowed", "GET, HEAD, OPTIONS"},
		{"a lower-case method", "get", "/healthz", 405, "method_not_allowed", "GET, HEAD, OPTIONS"},
		{"a method nobody knows on an unknown path", "FROB", "/nope", 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(t, s, testkit.NewRequest(tt.method, tt.path, ""))
			p := decodeProblem(t, resp, body)
			if resp.StatusCode != tt.status || p.Code != tt.code {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestRequestLogNamesThePatternNeverThePath(t *testing.T) {
	s, logs := newTestServer(t, Config{}, testServices())
	req := testkit.NewRequest(http.MethodGet, "/api/v1/auth/email/verify/secret-token-123?utm=leak-me", "")
	req.Header.Set("Authorization", "Bearer also-secret")
	req.Header.Set("Cookie", "access_token=cookie-secret")
	send(t, s, req)
	send(t, s, testkit.NewRequest(http.MethodGet, "/no/such/secret-path?q=leak-me", ""))

	out := logs.String()
	for _, leak := range []string{"secret-token-123", "leak-me", "also-secret", "cookie-secret", "secret-path"} {
		if strings.Contains(out, leak) {
			t.Errorf("log contains %q: %s", leak, out)
		}
	}
	lines := logs.requestLines(t)
	if len(lines) != 2 {
		t.Fatalf("want one request line per request: %s", out)
	}
	want := []map[string]any{
		{"route": "/api/v1/auth/email/verify/:token", "method": "GET", "status": float64(400), "level": "INFO"},
		{"route": "unmatched", "method": "GET", "status": float64(404), "level": "INFO"},
	}
	for i, w := range want {
		for k, v := range w {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, lines[i][k], v)
			}
		}
		for _, k := range []string{"request_id", "duration_ms", "ip"} {
			if _, ok := lines[i][k]; !ok {
				t.Errorf("line %d lacks %s", i, k)
			}
		}
	}
}

// TestBodiesOverTheServerCeilingAnswerInTheErrorShape sends a Content-Length far
// above every limit, which the server refuses before any middleware runs.
func TestBodiesOverTheServerCeilingAnswerInTheErrorShape(t *testing.T) {
	s, logs := newTestServer(t, Config{BodyLimit: 1024}, testServices())
	addr := serve(t, s)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /api/v1/auth/login?x=secret-query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", 100<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := make([]byte, 4096)
	n, _ := resp.Body.Read(body)
	p := decodeProblem(t, resp, body[:n])
	if resp.StatusCode != 413 || p.Code != "payload_too_large" || p.Message != "request body must be at most 1024 bytes" {
		t.Fatalf("got %d %s", resp.StatusCode, body[:n])
	}
	testkit.Eventually(t, 5*time.Second, func() bool { return len(logs.requestLines(t)) == 1 }, "condition not met in time")
	if l := logs.requestLines(t)[0]; l["route"] != "unmatched" || l["status"] != float64(413) || strings.Contains(logs.String(), "secret-query") {
		t.Fatalf("request line: %s", logs)
	}
}

// serve runs s on a loopback port until the test ends and returns its address.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ln := mustListen(t)
	done := make(chan error, 1)
	go func() { done <- s.Listen(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}

func mustListen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
