package httpapi

import (
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestParseBearer(t *testing.T) {
	t.Parallel()
	for h, want := range map[string]string{
		"Bearer abc.def-ghi_jkl":  "abc.def-ghi_jkl",
		"bearer abc":              "abc",
		"BEARER  abc==":           "abc==",
		"Bearer a+b/c~d":          "a+b/c~d",
		"Bearer":                  "",
		"Bearer ":                 "",
		"Bearer ==":               "",
		"Basic dXNlcjpwYXNz":      "",
		"Bearer abc def":          "",
		"Bearer abc,def":          "",
		"Token abc":               "",
		"abc":                     "",
		"Bearer abc\x00":          "",
		"Bearer eyJ.eyJ.sig=more": "",
	} {
		got, ok := parseBearer(h)
		if got != want || ok != (want != "") {
			t.Errorf("parseBearer(%q) = %q, %v; want %q", h, got, ok, want)
		}
	}
}

func TestRequireAuth(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{}, testServices())
	router{s.App()}.get("/who", s.requireAuth, func(c *fiber.Ctx) error {
		p, ok := principalOf(c)
		return c.JSON(fiber.Map{"user": p.UserID, "ok": ok, "cookie": authenticatedByCookie(c)})
	})
	tests := []struct {
		name   string
		auth   []string
		cookie string
		status int
		code   string
		body   string
	}{
		{"a bearer token authenticates", []string{"Bearer " + goodToken}, "", 200, "",
			`{"cookie":false,"ok":true,"user":"0193a1b2-0000-7000-8000-000000000001"}`},
		{"the cookie authenticates when there is no header", nil, goodToken, 200, "",
			`{"cookie":true,"ok":true,"user":"0193a1b2-0000-7000-8000-000000000001"}`},
		{"the header wins over the cookie", []string{"Bearer " + goodToken}, "stale", 200, "",
			`{"cookie":false,"ok":true,"user":"0193a1b2-0000-7000-8000-000000000001"}`},
		{"a malformed header does not fall back to the cookie", []string{"Basic dXNlcjpwYXNz"}, goodToken, 401, "invalid_token", ""},
		{"an empty bearer is invalid", []string{"Bearer "}, goodToken, 401, "invalid_token", ""},
		{"two Authorization headers are invalid", []string{"Bearer " + goodToken, "Bearer " + goodToken}, "", 401, "invalid_token", ""},
		{"a wrong bearer token is invalid", []string{"Bearer nope"}, "", 401, "invalid_token", ""},
		{"a wrong cookie token is invalid", nil, "nope", 401, "invalid_token", ""},
		{"no token at all is unauthenticated", nil, "", 401, "unauthenticated", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, "/who", nil)
			for _, a := range tt.auth {
				req.Header.Add("Authorization", a)
			}
			if tt.cookie != "" {
				req.AddCookie(&http.Cookie{Name: "access_token", Value: tt.cookie})
			}
			resp, body := send(t, s, req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if tt.code != "" {
				if p := decodeProblem(t, resp, body); p.Code != tt.code {
					t.Fatalf("code %q, want %q", p.Code, tt.code)
				}
				return
			}
			if string(body) != tt.body {
				t.Fatalf("body %s, want %s", body, tt.body)
			}
		})
	}
}
