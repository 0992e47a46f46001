package test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"authd/internal/testkit"
	"github.com/testcontainers/testcontainers-go"
)

// productionEnv is the scaled-out configuration: MySQL (or the engine that
// extra's AUTH_DB_DRIVER names), memcached, a shared signing key and HMAC key.
func productionEnv(t *testing.T, dsn, memcachedAddr string, extra map[string]string) map[string]string {
	env := map[string]string{
		"AUTH_DB_DRIVER": "mysql", "AUTH_DB_DSN": dsn,
		"AUTH_DENYLIST": "memcached", "AUTH_MEMCACHED_SERVERS": memcachedAddr,
		"AUTH_JWT_ALG": "HS256", "AUTH_JWT_SECRET": "an HS256 secret of at least 32 bytes, shared",
		"AUTH_HMAC_SECRET": "an HMAC secret of at least 32 bytes, shared too",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// TestTwoInstances runs two authd processes on one database server (MySQL,
// then PostgreSQL) and one memcached: what one instance revokes, the other
// refuses at once.
func TestTwoInstances(t *testing.T) {
	requireDocker(t)
	eachEngine(t, testTwoInstances)
}

func testTwoInstances(t *testing.T, e sqlEngine) {
	env := e.env(t, e.freshDSN(t), sharedMemcached(t), map[string]string{"AUTH_REFRESH_REUSE_GRACE": "0s"})
	a, b := startInstance(t, env), startInstance(t, env)

	a.call("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": "correct horse battery"}, "").Want(t, 201)
	b.call("GET", "/api/v1/auth/email/verify/"+mailFor(t, "jane@example.com", verifyLinkRe, a, b), nil, "").Want(t, 200)
	login := a.call("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": "correct horse battery"}, "").Want(t, 200)
	access := login.Str("accessToken")
	b.call("GET", "/api/v1/users/me", nil, access).Want(t, 200)

	t.Run("a profile change on A shows on B at once", func(t *testing.T) {
		for range 2 { // the second answer may come from B's copy of the account
			b.call("GET", "/api/v1/users/me", nil, access).Want(t, 200)
		}
		a.call("PATCH", "/api/v1/users/me", map[string]any{"lastName": "Doe"}, access).Want(t, 200)
		if got := b.call("GET", "/api/v1/users/me", nil, access).Want(t, 200).Str("lastName"); got != "Doe" {
			t.Fatalf("B shows lastName %q after A changed it to Doe", got)
		}
	})
	t.Run("a logout on A is refused on B at once", func(t *testing.T) {
		a.call("POST", "/api/v1/auth/logout", nil, access).Want(t, 204)
		b.call("GET", "/api/v1/users/me", nil, access).Want(t, 401, "token_revoked")
	})
	t.Run("a refresh token rotated on A is reuse on B", func(t *testing.T) {
		s := b.call("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": "correct horse battery"}, "").Want(t, 200)
		n := a.call("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.Str("refreshToken")}, "").Want(t, 200)
		b.call("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.Str("refreshToken")}, "").Want(t, 401, "refresh_token_reused")
		a.call("GET", "/api/v1/users/me", nil, n.Str("accessToken")).Want(t, 401, "token_revoked")
	})
	t.Run("a mail is sent by exactly one instance", func(t *testing.T) {
		count := 0
		for _, in := range []*instance{a, b} {
			count += len(verifyLinkRe.FindAllString(in.out.String(), -1))
		}
		if count != 1 {
			t.Fatalf("the verification mail was printed %d times", count)
		}
	})
}

// TestDatabaseOutage stops the database (MySQL, then PostgreSQL) under a
// running authd: 503 (never 500, never driver text) while it is down, and it
// works again without a restart.
func TestDatabaseOutage(t *testing.T) {
	requireDocker(t)
	eachEngine(t, testDatabaseOutage)
}

func testDatabaseOutage(t *testing.T, e sqlEngine) {
	port := testkit.FreePort(t)
	db, dsn := e.start(t, port)
	t.Cleanup(func() { _ = testcontainers.TerminateContainer(db) })
	in := startInstance(t, e.env(t, dsn, sharedMemcached(t), map[string]string{"AUTH_REQUEST_TIMEOUT": "3s"}))
	in.call("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": "correct horse battery"}, "").Want(t, 201)

	stopContainer(t, db)
	for _, r := range []*testkit.Reply{
		in.call("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": "correct horse battery"}, ""),
		in.call("POST", "/api/v1/auth/register", map[string]any{"email": "joe@example.com", "password": "correct horse battery"}, ""),
		in.call("GET", "/readyz", nil, ""),
	} {
		r.Want(t, 503, "dependency_unavailable")
		for _, leak := range []string{"mysql", "postgres", "pgx", "dial", "tcp", "sql", "connection"} {
			if containsFold(r.Str("message"), leak) {
				t.Fatalf("503 leaks %q: %s", leak, r.Raw)
			}
		}
	}
	startContainer(t, db)
	testkit.EventuallyOK(t, 60*time.Second, func() string {
		if r := in.call("POST", "/api/v1/auth/register", map[string]any{"email": "joe@example.com", "password": "correct horse battery"}, ""); r.Status != 201 {
			return fmt.Sprintf("not recovered: %d %s", r.Status, r.Raw)
		}
		return ""
	})
	in.call("GET", "/readyz", nil, "").Want(t, 200)
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
