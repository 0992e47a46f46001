package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"authd/internal/testkit"
)

// TestCookieAndDeliveryModes logs in under each AUTH_COOKIE_SAMESITE and
// AUTH_TOKEN_DELIVERY mode and checks the cookies and the JSON on the wire.
func TestCookieAndDeliveryModes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name           string
		cfg            Config
		wantSameSite   []string // access, refresh; nil: no cookies
		wantBodyTokens bool
	}{
		{"defaults", Config{}, []string{"SameSite=Lax", "SameSite=Strict"}, true},
		{"lax, both", Config{CookieSameSite: "lax", TokenDelivery: "both"}, []string{"SameSite=Lax", "SameSite=Strict"}, true},
		{"strict", Config{CookieSameSite: "strict"}, []string{"SameSite=Strict", "SameSite=Strict"}, true},
		{"none", Config{CookieSameSite: "none", CookieSecure: true}, []string{"SameSite=None", "SameSite=None"}, true},
		{"cookie only", Config{TokenDelivery: "cookie"}, []string{"SameSite=Lax", "SameSite=Strict"}, false},
		{"body only", Config{TokenDelivery: "body"}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestServer(t, tc.cfg, testServices())
			resp, body := send(t, s, testkit.NewRequest(http.MethodPost, "/api/v1/auth/login", `{"email":"jane@example.com","password":"correct horse"}`))
			if resp.StatusCode != 200 {
				t.Fatalf("login: %d %s", resp.StatusCode, body)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			_, hasAT := got["accessToken"]
			_, hasRT := got["refreshToken"]
			if hasAT != tc.wantBodyTokens || hasRT != tc.wantBodyTokens || got["user"] == nil || got["tokenType"] != "Bearer" {
				t.Fatalf("body %s, want tokens in it: %v", body, tc.wantBodyTokens)
			}
			set := resp.Header.Values("Set-Cookie")
			if tc.wantSameSite == nil {
				if len(set) != 0 {
					t.Fatalf("AUTH_TOKEN_DELIVERY=body sets no cookie, got %q", set)
				}
				return
			}
			if len(set) != 2 {
				t.Fatalf("Set-Cookie %q", set)
			}
			for i, prefix := range []string{"access_token=", "refresh_token="} {
				j := slices.IndexFunc(set, func(c string) bool { return strings.HasPrefix(c, prefix) })
				if j < 0 || !strings.Contains(set[j], tc.wantSameSite[i]) || !strings.Contains(set[j], "HttpOnly") {
					t.Fatalf("%s cookie in %q, want %s", prefix, set, tc.wantSameSite[i])
				}
				if tc.cfg.CookieSameSite == "none" && !strings.Contains(set[j], "secure") {
					t.Fatalf("SameSite=None without Secure: %q", set[j])
				}
			}
		})
	}
}
