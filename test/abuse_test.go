package test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"authd/internal/testkit"
	"github.com/testcontainers/testcontainers-go"
)

// uniqueEmail keeps one test's account counters apart from every other test's
// in the package's shared memcached.
func uniqueEmail(name string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return name + "-" + hex.EncodeToString(b) + "@example.com"
}

// TestTwoInstancesShareOneLimit runs two authd processes on one MySQL and one
// memcached: failures on either count toward the same limits, and parallel
// wrong logins spread over both never get more than the limit judged.
func TestTwoInstancesShareOneLimit(t *testing.T) {
	requireDocker(t)
	env := productionEnv(t, freshMySQLDSN(t), sharedMemcached(t), map[string]string{"AUTH_LOGIN_MAX_FAILURES": "4"})
	a, b := startInstance(t, env), startInstance(t, env)
	email := uniqueEmail("shared")
	a.call("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": "correct horse battery"}, "").Want(t, 201)
	b.call("GET", "/api/v1/auth/email/verify/"+mailFor(t, email, verifyLinkRe, a, b), nil, "").Want(t, 200)
	login := func(in *instance, password string) *testkit.Reply {
		return in.call("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "")
	}

	t.Run("failures on A and B add up to one lock, seen by both", func(t *testing.T) {
		login(a, "wrong password").Want(t, 401)
		login(b, "wrong password").Want(t, 401)
		login(a, "wrong password").Want(t, 401)
		login(b, "wrong password").Want(t, 401)
		login(a, "correct horse battery").Want(t, 429, "rate_limited")
		login(b, "correct horse battery").Want(t, 429, "rate_limited")
	})

	t.Run("parallel wrong logins over both instances: exactly the limit is judged", func(t *testing.T) {
		other := uniqueEmail("race")
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for i := range 20 {
			in := []*instance{a, b}[i%2]
			wg.Go(func() {
				r := in.call("POST", "/api/v1/auth/login", map[string]any{"email": other, "password": "wrong password"}, "")
				mu.Lock()
				codes[r.Status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes[401] != 4 || codes[429] != 16 {
			t.Fatalf("answers %v, want 4 × 401 and 16 × 429", codes)
		}
	})
}

// TestLimiterOutage puts the counters on a memcached of their own
// (AUTH_LIMITER_MEMCACHED_SERVERS) and stops it: the guarded endpoints answer
// 503 (fail closed), authenticated reads go on, and all recover by themselves.
func TestLimiterOutage(t *testing.T) {
	requireDocker(t)
	port := testkit.FreePort(t)
	mc, addr := startMemcached(t, port)
	t.Cleanup(func() { _ = testcontainers.TerminateContainer(mc) })
	// The per-IP limits are on here: this memcached is the test's own.
	in := startInstance(t, map[string]string{"AUTH_LIMITER_MEMCACHED_SERVERS": addr, "AUTH_IP_MAX_FAILURES": "100", "AUTH_IP_MAIL_RATE": "30"})
	email := uniqueEmail("outage")
	in.call("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": "correct horse battery"}, "").Want(t, 201)
	in.call("GET", "/api/v1/auth/email/verify/"+mailFor(t, email, verifyLinkRe, in), nil, "").Want(t, 200)
	access := in.call("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "correct horse battery"}, "").Want(t, 200).Str("accessToken")

	stopContainer(t, mc)
	in.call("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "correct horse battery"}, "").Want(t, 503, "dependency_unavailable")
	in.call("POST", "/api/v1/auth/password/reset", map[string]any{"token": "whatever", "newPassword": "brand new password"}, "").
		Want(t, 503, "dependency_unavailable")
	in.call("POST", "/api/v1/auth/register", map[string]any{"email": uniqueEmail("new"), "password": "correct horse battery"}, "").
		Want(t, 503, "dependency_unavailable")
	in.call("GET", "/api/v1/users/me", nil, access).Want(t, 200)
	r := in.call("GET", "/readyz", nil, "").Want(t, 503, "dependency_unavailable")
	if r.Str("message") != "limiter unavailable" {
		t.Fatalf("readyz %s, want it to name the limiter", r.Raw)
	}

	startContainer(t, mc) // same host port
	testkit.EventuallyOK(t, 30*time.Second, func() string {
		if r := in.call("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "correct horse battery"}, ""); r.Status != 200 {
			return fmt.Sprintf("not recovered: %d %s", r.Status, r.Raw)
		}
		return ""
	})
	in.call("GET", "/readyz", nil, "").Want(t, 200)
}
