package httpapi

import (
	"net/http"
	"testing"
	"time"

	"authd/internal/testkit"
)

// TestJWKSCacheControl: the JWKS is cacheable for AUTH_JWKS_MAX_AGE (default
// 5m), so verifiers in other services know how long to keep it.
func TestJWKSCacheControl(t *testing.T) {
	for _, tc := range []struct {
		maxAge time.Duration
		want   string
	}{
		{0, "public, max-age=300"},
		{90 * time.Second, "public, max-age=90"},
		{time.Hour, "public, max-age=3600"},
	} {
		s, _ := newTestServer(t, Config{JWKSMaxAge: tc.maxAge}, testServices())
		resp, _ := send(t, s, testkit.NewRequest(http.MethodGet, "/.well-known/jwks.json", ""))
		if got := resp.Header.Get("Cache-Control"); resp.StatusCode != 200 || got != tc.want {
			t.Errorf("JWKSMaxAge %v: %d Cache-Control %q, want %q", tc.maxAge, resp.StatusCode, got, tc.want)
		}
	}
}
