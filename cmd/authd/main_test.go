package main

import (
	"bytes"
	"context"
	"database/sql"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"authd/adapters/password"
)

func TestConfig(t *testing.T) {
	t.Run("every variable has a working default", func(t *testing.T) {
		cfg, err := LoadConfig(func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		if cfg.HTTPAddr != ":3000" || cfg.DBDSN != "file:data/auth.db" || cfg.JWTAlg != "EdDSA" || !cfg.CookieSecure ||
			cfg.AccessTokenTTL.String() != "15m0s" || cfg.SessionMaxAge.String() != "720h0m0s" || cfg.RefreshReuseGrace.String() != "10s" {
			t.Fatalf("defaults %+v", cfg)
		}
	})
	bad := map[string]map[string]string{
		"AUTH_DB_DRIVER":           {"AUTH_DB_DRIVER": "oracle"},
		"AUTH_JWT_SECRET":          {"AUTH_JWT_ALG": "HS256", "AUTH_JWT_SECRET": "short"},
		"AUTH_ACCESS_TOKEN_TTL":    {"AUTH_ACCESS_TOKEN_TTL": "fifteen"},
		"AUTH_COOKIE_SECURE":       {"AUTH_COOKIE_SECURE": "maybe"},
		"AUTH_PASSWORD_MIN_LENGTH": {"AUTH_PASSWORD_MIN_LENGTH": "0"},
		"AUTH_PUBLIC_URL":          {"AUTH_PUBLIC_URL": "localhost:3000"},
		"AUTH_CORS_ORIGINS":        {"AUTH_CORS_ORIGINS": "https://a.example.com/path"},
		"AUTH_DB_DSN":              {"AUTH_DB_DRIVER": "mysql"},
		"AUTH_MEMCACHED_SERVERS":   {"AUTH_DENYLIST": "memcached"},
	}
	for name, env := range bad {
		t.Run("stops with one line naming "+name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), func(k string) string { return env[k] }, &stderr)
			out := strings.TrimSpace(stderr.String())
			if code == 0 || strings.Count(out, "\n") != 0 || !strings.Contains(out, name) {
				t.Fatalf("exit %d, output %q", code, out)
			}
		})
	}
}

// TestProductionPasswordParams proves the OWASP argon2id parameters are what a
// default start wires in: the stored hash of a new account names them.
func TestProductionPasswordParams(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LoadConfig(testEnv(dir, nil))
	if err != nil {
		t.Fatal(err)
	}
	if p := passwordConfig(cfg, nil, nil).Params; p != password.DefaultParams {
		t.Fatalf("default config gives %+v", p)
	}
	a := startWithConfig(t, cfg)
	a.do("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": pw}).Want(t, 201)
	a.stop()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var hash string
	if err := db.QueryRow(`SELECT password_hash FROM users`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("stored hash %q does not use the production parameters", hash[:30])
	}
}

func TestSMTPConfig(t *testing.T) {
	env := map[string]string{"AUTH_MAILER": "smtp"}
	if _, err := LoadConfig(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "AUTH_SMTP_HOST") {
		t.Fatalf("got %v", err)
	}
	env["AUTH_SMTP_HOST"] = "127.0.0.1"
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil || cfg.SMTP.Port != 587 || cfg.SMTP.TLS != "starttls" || cfg.SMTP.From != "no-reply@localhost" {
		t.Fatalf("%+v %v", cfg.SMTP, err)
	}
}

func TestUnreachableDatabaseStopsStart(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	env := map[string]string{"AUTH_DB_DRIVER": "mysql", "AUTH_DB_DSN": "authd:hunter2-pw@tcp(" + addr + ")/authd",
		"AUTH_STARTUP_TIMEOUT": "1s", "AUTH_DATA_DIR": t.TempDir(), "AUTH_HTTP_ADDR": "127.0.0.1:0"}
	var stderr bytes.Buffer
	code := run(context.Background(), func(k string) string { return env[k] }, &stderr)
	out := strings.TrimSpace(stderr.String())
	if code == 0 || strings.Count(out, "\n") != 0 || !strings.Contains(out, "AUTH_DB_DSN") || strings.Contains(out, "hunter2") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}
