package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
)

// The start-up rules of the mysql driver hold for postgres: a DSN is
// required, and a database that stays unreachable stops the start with one
// line naming AUTH_DB_DSN, never the password.
func TestPostgresStart(t *testing.T) {
	start := func(env map[string]string) (int, string) {
		var stderr bytes.Buffer
		code := run(context.Background(), func(k string) string { return env[k] }, &stderr)
		return code, strings.TrimSpace(stderr.String())
	}
	t.Run("stops with one line naming AUTH_DB_DSN when it is missing", func(t *testing.T) {
		code, out := start(map[string]string{"AUTH_DB_DRIVER": "postgres", "AUTH_DATA_DIR": t.TempDir()})
		if code == 0 || strings.Count(out, "\n") != 0 || !strings.Contains(out, "AUTH_DB_DSN") || !strings.Contains(out, "postgres://") {
			t.Fatalf("exit %d, output %q", code, out)
		}
	})
	t.Run("stops with one line naming AUTH_DB_DSN, not the password, when the database stays unreachable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		code, out := start(map[string]string{"AUTH_DB_DRIVER": "postgres", "AUTH_DB_DSN": "postgres://authd:hunter2-pw@" + addr + "/authd?sslmode=disable",
			"AUTH_STARTUP_TIMEOUT": "1s", "AUTH_DATA_DIR": t.TempDir(), "AUTH_HTTP_ADDR": "127.0.0.1:0"})
		if code == 0 || strings.Count(out, "\n") != 0 || !strings.Contains(out, "AUTH_DB_DSN (authd@127.0.0.1:") || strings.Contains(out, "hunter2") {
			t.Fatalf("exit %d, output %q", code, out)
		}
	})
}
