package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestMiddleware(t *testing.T) {
	clock := start()
	key := newSigner(t, "k1")
	srv := newJWKSServer(t, key)
	good := key.token(clock.Now(), nil)
	revoked := key.token(clock.Now(), map[string]any{"sid": "revoked"})
	down := key.token(clock.Now(), map[string]any{"sid": "down"})
	deny := denyFunc(func(sid string) (bool, error) {
		if sid == "down" {
			return false, errors.New("connection refused")
		}
		return sid == "revoked", nil
	})
	v := newTestVerifier(t, srv.URL, clock, func(c *Config) { c.Denylist = deny; c.Cookie = "access_token" })
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := ClaimsFrom(r.Context())
		if !ok {
			t.Error("no claims in the context")
		}
		_, _ = io.WriteString(w, c.Subject+" "+c.Role)
	}))
	for _, tc := range []struct {
		name          string
		authorization []string
		cookie        string
		status        int
		code          string
	}{
		{"bearer", []string{"Bearer " + good}, "", 200, ""},
		{"scheme in any case", []string{"bEaReR " + good}, "", 200, ""},
		{"cookie", nil, good, 200, ""},
		{"nothing", nil, "", 401, "unauthenticated"},
		{"bad header, good cookie: no fallback", []string{"Basic dXNlcjpwYXNz"}, good, 401, "invalid_token"},
		{"empty bearer", []string{"Bearer "}, "", 401, "invalid_token"},
		{"two headers", []string{"Bearer " + good, "Bearer " + good}, "", 401, "invalid_token"},
		{"garbage", []string{"Bearer x.y.z"}, "", 401, "invalid_token"},
		{"revoked", []string{"Bearer " + revoked}, "", 401, "token_revoked"},
		{"denylist down", []string{"Bearer " + down}, "", 503, "dependency_unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/things", nil)
			for _, a := range tc.authorization {
				req.Header.Add("Authorization", a)
			}
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: "access_token", Value: tc.cookie})
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tc.status)
			}
			if tc.status == 200 {
				if rec.Body.String() != "user-1 customer" {
					t.Fatalf("body %q", rec.Body)
				}
				return
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			wantStatus := "fail"
			if tc.status >= 500 {
				wantStatus = "error"
			}
			if body["status"] != wantStatus || body["statusCode"] != float64(tc.status) || body["code"] != tc.code || body["message"] == "" {
				t.Fatalf("body %v", body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
}

func TestMiddlewareIgnoresCookieUnlessConfigured(t *testing.T) {
	clock := start()
	key := newSigner(t, "k1")
	srv := newJWKSServer(t, key)
	v := newTestVerifier(t, srv.URL, clock)
	h := v.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("reached the handler") }))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "access_token", Value: key.token(clock.Now(), nil)})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Fatalf("status %d", rec.Code)
	}
}

func TestErrorResponseFailsClosed(t *testing.T) {
	for _, err := range []error{nil, errors.New("something else")} {
		if status, _ := ErrorResponse(err); status != http.StatusServiceUnavailable {
			t.Errorf("%v: status %d, want 503", err, status)
		}
	}
}

type denyFunc func(string) (bool, error)

func (f denyFunc) Revoked(_ context.Context, sid string, _ time.Time) (bool, error) { return f(sid) }
