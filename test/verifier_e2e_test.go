package test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/testcontainers/testcontainers-go"

	"authd/internal/testkit"
	"authd/verifier"
)

// The verifier module (verifier/) against a real authd process and a real
// memcached: the tokens authd issues verify over its real JWKS endpoint, and
// a logout on authd is honoured at once in the revocation mode.

func TestVerifierAgainstAuthd(t *testing.T) {
	requireDocker(t)
	mc, mcAddr := startMemcached(t, "") // its own server: this test flushes it
	t.Cleanup(func() { _ = testcontainers.TerminateContainer(mc) })
	in := startInstance(t, map[string]string{"AUTH_DENYLIST": "memcached", "AUTH_MEMCACHED_SERVERS": mcAddr, "AUTH_JWKS_MAX_AGE": "2m"})
	if r := in.call("GET", "/.well-known/jwks.json", nil, "").Want(t, 200); r.Header.Get("Cache-Control") != "public, max-age=120" {
		t.Fatalf("JWKS Cache-Control %q, want public, max-age=120", r.Header.Get("Cache-Control"))
	}

	const email, password = "verifier@example.com", "correct horse battery"
	in.call("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": password, "role": "retailer"}, "").Want(t, 201)
	in.call("GET", "/api/v1/auth/email/verify/"+mailFor(t, email, verifyLinkRe, in), nil, "").Want(t, 200)
	login := func() string {
		return in.call("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "").Want(t, 200).Str("accessToken")
	}
	out, keep := login(), login()
	me := in.call("GET", "/api/v1/users/me", nil, keep).Want(t, 200)

	jwksURL := in.base + "/.well-known/jwks.json"
	plain := newVerifier(t, verifier.Config{JWKSURL: jwksURL})
	denylist := &verifier.MemcachedDenylist{Servers: []string{mcAddr}}
	t.Cleanup(func() { denylist.Close() })
	revoking := newVerifier(t, verifier.Config{JWKSURL: jwksURL, Denylist: denylist})
	ctx := context.Background()

	for name, v := range map[string]*verifier.Verifier{"plain": plain, "revoking": revoking} {
		c, err := v.Verify(ctx, keep)
		if err != nil {
			t.Fatalf("%s: authd's token: %v", name, err)
		}
		if c.Subject != me.Str("id") || c.Email != email || c.Role != "retailer" || c.SessionID == "" || c.ID == "" ||
			!c.ExpiresAt.After(time.Now()) || c.IssuedAt.IsZero() {
			t.Fatalf("%s: claims %+v (user %s)", name, c, me.Raw)
		}
	}
	// A tampered real token is refused.
	h, rest, _ := strings.Cut(keep, ".")
	_, sig, _ := strings.Cut(rest, ".")
	var claims map[string]any
	p, _ := base64.RawURLEncoding.DecodeString(strings.Split(keep, ".")[1])
	_ = json.Unmarshal(p, &claims)
	claims["role"] = "admin"
	forged, _ := json.Marshal(claims)
	if _, err := plain.Verify(ctx, h+"."+base64.RawURLEncoding.EncodeToString(forged)+"."+sig); !errors.Is(err, verifier.ErrInvalidToken) {
		t.Fatalf("forged role: got %v, want ErrInvalidToken", err)
	}

	// The net/http middleware in a downstream service.
	svc := httptest.NewServer(revoking.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verifier.ClaimsFrom(r.Context())
		_ = json.NewEncoder(w).Encode(map[string]string{"sub": c.Subject, "role": c.Role})
	})))
	t.Cleanup(svc.Close)
	get := func(token string) (int, map[string]any) { t.Helper(); return getJSON(t, svc.URL+"/things", token) }
	if status, body := get(keep); status != 200 || body["sub"] != me.Str("id") || body["role"] != "retailer" {
		t.Fatalf("middleware: %d %v", status, body)
	}
	if status, body := get(""); status != 401 || body["code"] != "unauthenticated" {
		t.Fatalf("no token: %d %v", status, body)
	}

	// Logout on authd: refused at once with the denylist, valid until exp without.
	in.call("POST", "/api/v1/auth/logout", nil, out).Want(t, 204)
	in.call("GET", "/api/v1/users/me", nil, out).Want(t, 401, "token_revoked")
	if _, err := revoking.Verify(ctx, out); !errors.Is(err, verifier.ErrRevoked) {
		t.Fatalf("revoking verifier after logout: got %v, want ErrRevoked", err)
	}
	if status, body := get(out); status != 401 || body["code"] != "token_revoked" {
		t.Fatalf("middleware after logout: %d %v", status, body)
	}
	if _, err := plain.Verify(ctx, out); err != nil {
		t.Fatalf("plain verifier after logout (valid until exp): %v", err)
	}
	example := startDownstream(t, jwksURL, mcAddr)
	if status, body := getJSON(t, example+"/api/v1/orders", keep); status != 200 || body["user"] != me.Str("id") || body["email"] != email {
		t.Fatalf("examples/downstream: %d %v", status, body)
	}
	if status, body := getJSON(t, example+"/api/v1/orders", out); status != 401 || body["code"] != "token_revoked" {
		t.Fatalf("examples/downstream after logout: %d %v", status, body)
	}
	if status, body := getJSON(t, example+"/api/v1/orders", ""); status != 401 || body["code"] != "unauthenticated" {
		t.Fatalf("examples/downstream without a token: %d %v", status, body)
	}
	if _, err := revoking.Verify(ctx, keep); err != nil {
		t.Fatalf("the other session: %v", err)
	}

	// memcached loses its entries: the verifier fails closed (never "not
	// revoked") until authd has re-seeded it, then refuses the revoked token again.
	if err := memcache.New(mcAddr).FlushAll(); err != nil {
		t.Fatal(err)
	}
	if _, err := revoking.Verify(ctx, out); !errors.Is(err, verifier.ErrUnavailable) && !errors.Is(err, verifier.ErrRevoked) {
		t.Fatalf("after a flush: got %v, want ErrUnavailable (or ErrRevoked once re-seeded)", err)
	}
	testkit.EventuallyOK(t, 30*time.Second, func() string {
		in.call("GET", "/api/v1/users/me", nil, keep) // authd notices the lost entries and re-seeds
		if _, err := revoking.Verify(ctx, keep); err != nil {
			return fmt.Sprintf("not re-seeded yet: %v", err)
		}
		return ""
	})
	if _, err := revoking.Verify(ctx, out); !errors.Is(err, verifier.ErrRevoked) {
		t.Fatalf("after re-seeding: got %v, want ErrRevoked", err)
	}

	// An unreachable memcached or JWKS is 503, never a pass.
	down := &verifier.MemcachedDenylist{Servers: []string{"127.0.0.1:" + testkit.FreePort(t)}}
	if _, err := newVerifier(t, verifier.Config{JWKSURL: jwksURL, Denylist: down}).Verify(ctx, keep); !errors.Is(err, verifier.ErrUnavailable) {
		t.Fatalf("memcached down: got %v, want ErrUnavailable", err)
	}
	noJWKS := newVerifier(t, verifier.Config{JWKSURL: "http://127.0.0.1:" + testkit.FreePort(t) + "/.well-known/jwks.json"})
	if _, err := noJWKS.Verify(ctx, keep); !errors.Is(err, verifier.ErrUnavailable) {
		t.Fatalf("JWKS down: got %v, want ErrUnavailable", err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+keep)
	noJWKS.Middleware(http.NotFoundHandler()).ServeHTTP(rec, req)
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"code":"dependency_unavailable"`) {
		t.Fatalf("middleware with JWKS down: %d %s", rec.Code, rec.Body)
	}
}

// newVerifier fills in authd's default issuer and audience.
func newVerifier(t *testing.T, cfg verifier.Config) *verifier.Verifier {
	t.Helper()
	cfg.Issuer, cfg.Audience = "authd", "authd"
	v, err := verifier.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// getJSON GETs url with an optional bearer token and decodes the JSON answer.
func getJSON(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	r := (&testkit.Client{HTTP: testkit.NoRedirects(30 * time.Second)}).Do(t, "GET", url, nil, testkit.BearerIf(token))
	var body map[string]any
	r.Decode(t, &body)
	return r.Status, body
}

// startDownstream builds examples/downstream (its own module) and runs it
// against authd's JWKS and memcached; it returns its base URL.
func startDownstream(t *testing.T, jwksURL, memcachedAddr string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "downstream")
	build := exec.Command("go", "build", "-C", filepath.Join(repoRoot(t), "examples", "downstream"), "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build examples/downstream: %v\n%s", err, out)
	}
	addr := "127.0.0.1:" + testkit.FreePort(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "ADDR="+addr, "AUTHD_JWKS_URL="+jwksURL, "AUTHD_MEMCACHED_SERVERS="+memcachedAddr)
	out := &testkit.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("output of examples/downstream:\n%s", out.String())
		}
	})
	testkit.EventuallyOK(t, 30*time.Second, func() string {
		select {
		case <-exited:
			t.Fatalf("examples/downstream exited:\n%s", out.String())
		default:
		}
		res, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return "examples/downstream does not answer: " + err.Error()
		}
		res.Body.Close()
		return ""
	})
	return "http://" + addr
}
