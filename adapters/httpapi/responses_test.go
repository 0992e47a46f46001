package httpapi

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"authd/internal/testkit"
	"github.com/gofiber/fiber/v2"
)

const jsonUTF8 = "application/json; charset=utf-8"

func TestJSONResponsesCarryTheirCharset(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{BodyLimit: 1024}, testServices())
	router{s.App()}.get("/plain", func(c *fiber.Ctx) error { return c.SendString("text") })
	router{s.App()}.get("/other-json", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"a": 1}, "application/problem+json") })
	bearerReq := func(r *http.Request) *http.Request { r.Header.Set("Authorization", "Bearer "+goodToken); return r }
	tests := []struct {
		name   string
		req    *http.Request
		status int
		ct     string
	}{
		{"a success body", testkit.NewRequest(http.MethodGet, "/healthz", ""), 200, jsonUTF8},
		{"a success body of a protected route", bearerReq(testkit.NewRequest(http.MethodGet, "/api/v1/users/me", "")), 200, jsonUTF8},
		{"the JWKS", testkit.NewRequest(http.MethodGet, "/.well-known/jwks.json", ""), 200, jsonUTF8},
		{"an error body", testkit.NewRequest(http.MethodGet, "/api/v1/users/me", ""), 401, jsonUTF8},
		{"a 404", testkit.NewRequest(http.MethodGet, "/nope", ""), 404, jsonUTF8},
		{"a 405", testkit.NewRequest(http.MethodPut, "/healthz", ""), 405, jsonUTF8},
		{"a 405 for an unknown method", testkit.NewRequest("FROB", "/healthz", ""), 405, jsonUTF8},
		{"a 413", testkit.NewRequest(http.MethodPost, "/api/v1/auth/login", `{"email":"`+strings.Repeat("a", 2000)+`"}`), 413, jsonUTF8},
		{"a HEAD of a JSON route", testkit.NewRequest(http.MethodHead, "/healthz", ""), 200, jsonUTF8},
		{"a text body keeps its type", testkit.NewRequest(http.MethodGet, "/plain", ""), 200, "text/plain; charset=utf-8"},
		{"another JSON media type is left alone", testkit.NewRequest(http.MethodGet, "/other-json", ""), 200, "application/problem+json"},
		{"the reset page keeps its type", testkit.NewRequest(http.MethodGet, "/reset-password", ""), 200, "text/html; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is "+tt.ct, func(t *testing.T) {
			resp, body := send(t, s, tt.req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if got := resp.Header.Values("Content-Type"); len(got) != 1 || got[0] != tt.ct {
				t.Fatalf("Content-Type %q, want %q", got, tt.ct)
			}
		})
	}
}

// TestAllowNamesExactlyTheMethodsThatAreAnswered checks every route against the
// server's own behaviour: a method is in Allow if and only if it is not 405.
func TestAllowNamesExactlyTheMethodsThatAreAnswered(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{}, testServices())
	param := regexp.MustCompile(`:[A-Za-z]+`)
	seen := map[string]bool{}
	var paths []string
	for _, r := range s.App().GetRoutes(true) {
		p := param.ReplaceAllString(r.Path, "some-value")
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p, p+"/")
		}
	}
	if len(paths) < 20 {
		t.Fatalf("only %d paths: %v", len(paths), paths)
	}
	methods := []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "TRACE", "FROB"}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			var answered []string
			var refused []*http.Response
			for _, m := range methods {
				resp, body := send(t, s, testkit.NewRequest(m, path, ""))
				if resp.StatusCode != http.StatusMethodNotAllowed {
					if m == "FROB" {
						t.Fatalf("FROB %s: %d %s", path, resp.StatusCode, body)
					}
					answered = append(answered, m)
					continue
				}
				if m != "HEAD" {
					if p := decodeProblem(t, resp, body); p.Code != "method_not_allowed" {
						t.Fatalf("%s %s: %s", m, path, body)
					}
				}
				refused = append(refused, resp)
			}
			// Fiber's method order, as routing names them, then OPTIONS.
			var want []string
			for _, m := range fiber.DefaultMethods {
				for _, a := range answered {
					if a == m {
						want = append(want, m)
					}
				}
			}
			want = append(want, "OPTIONS")
			if len(answered) == 0 || len(refused) == 0 {
				t.Fatalf("answered %v, refused %d", answered, len(refused))
			}
			for _, resp := range refused {
				if got := resp.Header.Values("Allow"); len(got) != 1 || got[0] != strings.Join(want, ", ") {
					t.Errorf("%s %s: Allow %q, want %q", resp.Request.Method, path, got, strings.Join(want, ", "))
				}
			}
			resp, _ := send(t, s, testkit.NewRequest(http.MethodOptions, path, ""))
			if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Allow") != strings.Join(want, ", ") {
				t.Errorf("OPTIONS %s: %d Allow %q", path, resp.StatusCode, resp.Header.Get("Allow"))
			}
		})
	}
	t.Run("a path without routes is 404 without Allow for any method", func(t *testing.T) {
		for _, m := range methods {
			resp, body := send(t, s, testkit.NewRequest(m, "/api/v1/users/you", ""))
			if resp.StatusCode != 404 || resp.Header.Get("Allow") != "" {
				t.Fatalf("%s: %d Allow %q %s", m, resp.StatusCode, resp.Header.Get("Allow"), body)
			}
		}
	})
}
