package fiberverifier

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"authd/verifier"
)

func TestMiddleware(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","use":"sig","kid":"k1","x":%q}]}`, enc(pub))
	}))
	t.Cleanup(jwks.Close)
	now := time.Now()
	sign := func(sid string, exp time.Time) string {
		p, _ := json.Marshal(map[string]any{"iss": "authd", "aud": "authd", "sub": "user-1", "email": "jane@example.com",
			"role": "customer", "sid": sid, "jti": "j1", "exp": exp.Unix()})
		in := enc([]byte(`{"alg":"EdDSA","kid":"k1","typ":"at+jwt"}`)) + "." + enc(p)
		return in + "." + enc(ed25519.Sign(priv, []byte(in)))
	}
	v, err := verifier.New(verifier.Config{JWKSURL: jwks.URL, Issuer: "authd", Audience: "authd", Cookie: "access_token",
		Denylist: denylist{"revoked": true}, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New()
	app.Use(New(v))
	app.Get("/things", func(c *fiber.Ctx) error {
		a, ok1 := ClaimsFrom(c)
		b, ok2 := verifier.ClaimsFrom(c.UserContext())
		if !ok1 || !ok2 || a != b {
			return fiber.ErrInternalServerError
		}
		return c.SendString(a.Subject + " " + a.Role)
	})
	for _, tc := range []struct {
		name, auth, cookie string
		status             int
		body               string
	}{
		{"bearer", "Bearer " + sign("s1", now.Add(time.Minute)), "", 200, "user-1 customer"},
		{"cookie", "", sign("s1", now.Add(time.Minute)), 200, "user-1 customer"},
		{"nothing", "", "", 401, `{"status":"fail","statusCode":401,"code":"unauthenticated","message":"no access token presented"}`},
		{"expired", "Bearer " + sign("s1", now), "", 401, `{"status":"fail","statusCode":401,"code":"invalid_token","message":"the access token is invalid or expired"}`},
		{"revoked", "Bearer " + sign("revoked", now.Add(time.Minute)), "", 401, `{"status":"fail","statusCode":401,"code":"token_revoked","message":"the access token was revoked"}`},
		{"bad header, no fallback", "Token x", sign("s1", now.Add(time.Minute)), 401, `{"status":"fail","statusCode":401,"code":"invalid_token","message":"the access token is invalid or expired"}`},
	} {
		req := httptest.NewRequest("GET", "/things", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		if tc.cookie != "" {
			req.AddCookie(&http.Cookie{Name: "access_token", Value: tc.cookie})
		}
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != tc.status || string(body) != tc.body {
			t.Errorf("%s: %d %s, want %d %s", tc.name, res.StatusCode, body, tc.status, tc.body)
		}
	}
}

type denylist map[string]bool

func (d denylist) Revoked(_ context.Context, sid string, _ time.Time) (bool, error) {
	return d[sid], nil
}
