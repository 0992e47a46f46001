package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// clirun runs the command line with env as the whole environment.
func clirun(env map[string]string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := cli(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestCommandLineUsage(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"}, {"--bogus"}, {"serve", "--bogus"}, {"serve", "extra"}, {"version", "--bogus"},
		{"migrate"}, {"migrate", "sideways"}, {"migrate", "up", "--bogus"}, {"config"}, {"config", "show"},
		{"config", "check", "extra"}, {"healthcheck", "--bogus"}, {"users"}, {"users", "create", "--bogus"},
	} {
		code, stdout, stderr := clirun(nil, args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "Usage") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want usage on stderr and 2", args, code, stdout, stderr)
		}
	}
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"serve", "-h"}, {"version", "--help"}, {"migrate", "-h"}, {"migrate", "up", "-h"},
		{"config", "-h"}, {"config", "check", "--help"}, {"healthcheck", "-h"}, {"users", "create", "-h"},
	} {
		code, stdout, stderr := clirun(nil, args...)
		if code != 0 || !strings.Contains(stdout, "Usage") || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want help on stdout and 0", args, code, stdout, stderr)
		}
	}
}

func TestVersionCommand(t *testing.T) {
	code, stdout, _ := clirun(nil, "version")
	if code != 0 || !strings.Contains(stdout, "authd dev") || !strings.Contains(stdout, "commit ") || !strings.Contains(stdout, runtime.Version()) {
		t.Fatalf("exit %d: %q", code, stdout)
	}
}

func TestConfigCheck(t *testing.T) {
	secrets := map[string]string{
		"AUTH_JWT_SECRET":         "jwt-secret-jwt-secret-jwt-secret-0123",
		"AUTH_HMAC_SECRET":        "hmac-secret-hmac-secret-hmac-secret-01",
		"AUTH_SMTP_PASSWORD":      "smtp-pass-word",
		"AUTH_KEY_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	env := map[string]string{"AUTH_JWT_ALG": "HS256", "AUTH_DB_DRIVER": "postgres",
		"AUTH_DB_DSN": "postgres://authd:pg-pass-word@db:5432/auth?sslmode=disable"}
	for k, v := range secrets {
		env[k] = v
	}
	code, stdout, stderr := clirun(env, "config", "check")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for name, v := range secrets {
		if strings.Contains(stdout, v) || !strings.Contains(stdout, name+"=[redacted]\n") {
			t.Errorf("%s not redacted:\n%s", name, stdout)
		}
	}
	if strings.Contains(stdout, "pg-pass-word") || !strings.Contains(stdout, "AUTH_DB_DSN=postgres://authd:%5Bredacted%5D@db:5432/auth") &&
		!strings.Contains(stdout, "AUTH_DB_DSN=postgres://authd:[redacted]@db:5432/auth") {
		t.Errorf("DSN password shown:\n%s", stdout)
	}
	for _, want := range []string{"AUTH_HTTP_ADDR=:3000\n", "AUTH_COOKIE_SAMESITE=lax\n", "AUTH_TOKEN_DELIVERY=both\n", "AUTH_MIGRATE=true\n", "AUTH_ACCESS_TOKEN_TTL=15m0s\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("effective configuration lacks %q:\n%s", want, stdout)
		}
	}

	code, _, stderr = clirun(map[string]string{"AUTH_COOKIE_SAMESITE": "none", "AUTH_COOKIE_SECURE": "false"}, "config", "check")
	if code != 2 || !strings.Contains(stderr, "AUTH_COOKIE_SAMESITE") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("SameSite=None without Secure: exit %d %q", code, stderr)
	}
	code, _, stderr = clirun(map[string]string{"AUTH_TOKEN_DELIVERY": "pigeon"}, "config", "check")
	if code != 2 || !strings.Contains(stderr, "AUTH_TOKEN_DELIVERY") {
		t.Fatalf("bad delivery: exit %d %q", code, stderr)
	}
}

func TestRedactDSN(t *testing.T) {
	for dsn, want := range map[string]string{
		"authd:s3cr@t@tcp(db:3306)/auth?parseTime=true":  "authd:[redacted]@tcp(db:3306)/auth?parseTime=true",
		"host=db user=authd password=s3cr@t dbname=auth": "host=db user=authd password=[redacted] dbname=auth",
		"file:data/auth.db":                              "file:data/auth.db",
	} {
		if got := redactDSN(dsn); got != want {
			t.Errorf("redactDSN(%q) = %q, want %q", dsn, got, want)
		}
	}
}

func TestUnknownVariables(t *testing.T) {
	known := knownVariables()
	for _, name := range []string{"AUTH_HTTP_ADDR", "AUTH_DB_DSN", "AUTH_COOKIE_SAMESITE", "AUTH_TOKEN_DELIVERY", "AUTH_MIGRATE",
		"AUTH_MAIL_TEMPLATES_DIR", "AUTH_SMTP_PASSWORD", "AUTH_TRUSTED_PROXIES", "AUTH_JWKS_MAX_AGE", "AUTH_KEY_ENCRYPTION_KEY"} {
		if !slices.Contains(known, name) {
			t.Errorf("%s is not known", name)
		}
	}
	got := unknownVariables([]string{"AUTH_HTTP_ADRR=:3000", "AUTH_HTTP_ADDR=:3000", "HOME=/root", "AUTH_COOKIE_SAMSITE=none"})
	if len(got) != 2 || !strings.Contains(got[0], "AUTH_COOKIE_SAMSITE") || !strings.Contains(got[0], "AUTH_COOKIE_SAMESITE") ||
		!strings.Contains(got[1], "AUTH_HTTP_ADRR") || !strings.Contains(got[1], "did you mean AUTH_HTTP_ADDR") {
		t.Fatalf("warnings %q", got)
	}
}

func TestHealthcheckCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	if code, _, stderr := clirun(map[string]string{"AUTH_HTTP_ADDR": ":" + port}, "healthcheck"); code != 0 {
		t.Fatalf("healthy server: exit %d %s", code, stderr)
	}
	srv.Close()
	if code, _, _ := clirun(map[string]string{"AUTH_HTTP_ADDR": "127.0.0.1:" + port}, "healthcheck"); code != 1 {
		t.Fatalf("no server: exit %d, want 1", code)
	}
}

func TestMigrateCommandAndStaleSchema(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"AUTH_DATA_DIR": dir, "AUTH_HTTP_ADDR": "127.0.0.1:0", "AUTH_MIGRATE": "false", "AUTH_METRICS_ADDR": "off"}
	code, stdout, stderr := clirun(env, "migrate", "status")
	if code != 0 || !strings.Contains(stdout, "pending") || strings.Contains(stdout, " 0 pending") {
		t.Fatalf("status of a fresh database: exit %d %q %q", code, stdout, stderr)
	}
	var serveErr bytes.Buffer
	code = run(context.Background(), func(k string) string { return env[k] }, &serveErr)
	if code == 0 || !strings.Contains(serveErr.String(), "AUTH_MIGRATE=false") || !strings.Contains(serveErr.String(), "authd migrate up") {
		t.Fatalf("serve on a stale schema: exit %d %q", code, serveErr.String())
	}
	code, stdout, stderr = clirun(env, "migrate", "up")
	if code != 0 || !strings.Contains(stdout, " 0 pending") || strings.Contains(stdout, "pending\n") {
		t.Fatalf("migrate up: exit %d %q %q", code, stdout, stderr)
	}
	// The schema is current now: serve starts without migrating.
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a := startWithConfig(t, cfg)
	if r := a.do(http.MethodGet, "/healthz", nil); r.Status != 200 || r.Str("version") != "dev" {
		t.Fatalf("healthz %d %v", r.Status, r.Body)
	}
}

func TestBrokenMailTemplateStopsStart(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "verify_email.html.tmpl")
	if err := os.WriteFile(bad, []byte("<p>{{.Link</p>"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	code := run(context.Background(), testEnv(t.TempDir(), map[string]string{"AUTH_MAIL_TEMPLATES_DIR": dir}), &stderr)
	out := strings.TrimSpace(stderr.String())
	if code == 0 || !strings.Contains(out, bad) || strings.Count(out, "\n") != 0 {
		t.Fatalf("exit %d, output %q", code, out)
	}
}
