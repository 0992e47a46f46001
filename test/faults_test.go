package test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"authd/internal/testkit"
	"github.com/testcontainers/testcontainers-go"
)

// Fault tests: a dependency goes away and comes back on the same address; authd
// answers 503 (never 500) meanwhile and recovers by itself.

func stopContainer(t *testing.T, c testcontainers.Container) {
	t.Helper()
	timeout := 10 * time.Second
	if err := c.Stop(context.Background(), &timeout); err != nil {
		t.Fatal(err)
	}
}

func startContainer(t *testing.T, c testcontainers.Container) {
	t.Helper()
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestMemcachedOutageAndRestart(t *testing.T) {
	requireDocker(t)
	port := testkit.FreePort(t)
	mc, addr := startMemcached(t, port)
	t.Cleanup(func() { _ = testcontainers.TerminateContainer(mc) })
	in := startInstance(t, map[string]string{"AUTH_DENYLIST": "memcached", "AUTH_MEMCACHED_SERVERS": addr})

	in.call("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": "correct horse battery"}, "").Want(t, 201)
	in.call("GET", "/api/v1/auth/email/verify/"+mailFor(t, "jane@example.com", verifyLinkRe, in), nil, "").Want(t, 200)
	login := func() string {
		return in.call("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": "correct horse battery"}, "").Want(t, 200).Str("accessToken")
	}
	out, keep := login(), login()
	in.call("POST", "/api/v1/auth/logout", nil, out).Want(t, 204)
	in.call("GET", "/api/v1/users/me", nil, out).Want(t, 401, "token_revoked")

	stopContainer(t, mc)
	in.call("GET", "/api/v1/users/me", nil, keep).Want(t, 503, "dependency_unavailable")
	r := in.call("GET", "/readyz", nil, "").Want(t, 503, "dependency_unavailable")
	if r.Str("message") == "" || r.Str("status") != "error" {
		t.Fatalf("readyz %s", r.Raw)
	}

	startContainer(t, mc) // same host port, empty: every revocation is lost
	testkit.EventuallyOK(t, 30*time.Second, func() string {
		if r := in.call("GET", "/api/v1/users/me", nil, keep); r.Status != 200 {
			return fmt.Sprintf("not recovered: %d %s", r.Status, r.Raw)
		}
		return ""
	})
	in.call("GET", "/api/v1/users/me", nil, out).Want(t, 401, "token_revoked")
	in.call("GET", "/readyz", nil, "").Want(t, 200)
}

func TestMemcachedDownAtStart(t *testing.T) {
	requireDocker(t)
	port := testkit.FreePort(t)
	in := startInstance(t, map[string]string{"AUTH_DENYLIST": "memcached", "AUTH_MEMCACHED_SERVERS": "127.0.0.1:" + port})
	in.call("GET", "/readyz", nil, "").Want(t, 503, "dependency_unavailable")
	in.call("GET", "/healthz", nil, "").Want(t, 200)
	mc, _ := startMemcached(t, port)
	t.Cleanup(func() { _ = testcontainers.TerminateContainer(mc) })
	testkit.EventuallyOK(t, 30*time.Second, func() string {
		if r := in.call("GET", "/readyz", nil, ""); r.Status != 200 {
			return fmt.Sprintf("readyz still %d %s", r.Status, r.Raw)
		}
		return ""
	})
}
