package test

import (
	"encoding/base64"
	"testing"
	"time"

	"authd/internal/testkit"
	"github.com/pquerna/otp/totp"
)

// TestTwoInstancesMFA runs two authd processes on one database server (MySQL,
// then PostgreSQL) and one memcached, with the TOTP secret sealed under
// AUTH_KEY_ENCRYPTION_KEY: an enrolment made on A signs in on B, and a code
// accepted on A is refused on B.
func TestTwoInstancesMFA(t *testing.T) {
	requireDocker(t)
	eachEngine(t, testTwoInstancesMFA)
}

func testTwoInstancesMFA(t *testing.T, e sqlEngine) {
	key := base64.StdEncoding.EncodeToString([]byte("a key encryption key of 32 bytes"))
	env := e.env(t, e.freshDSN(t), sharedMemcached(t), map[string]string{"AUTH_KEY_ENCRYPTION_KEY": key})
	a, b := startInstance(t, env), startInstance(t, env)
	const email, password = "mfa@example.com", "correct horse battery"

	a.call("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": password}, "").Want(t, 201)
	b.call("GET", "/api/v1/auth/email/verify/"+mailFor(t, email, verifyLinkRe, a, b), nil, "").Want(t, 200)
	access := a.call("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "").Want(t, 200).Str("accessToken")
	secret := a.call("POST", "/api/v1/users/me/mfa/totp", map[string]any{"password": password}, access).Want(t, 200).Str("secret")

	// Codes are computed for absolute steps, away from a step's edges.
	stepEdge(t)
	step := time.Now().Unix() / 30
	code := func(s int64) string {
		c, err := totp.GenerateCode(secret, time.Unix(s*30, 0))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	b.call("POST", "/api/v1/users/me/mfa/totp/confirm", map[string]any{"code": code(step - 1)}, access).Want(t, 200)

	challenge := func(in *instance) string {
		r := in.call("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "").Want(t, 200)
		if r.Body["mfaRequired"] != true {
			t.Fatalf("no challenge: %v", r.Body)
		}
		return r.Str("mfaToken")
	}
	t.Run("a code used on A is refused on B", func(t *testing.T) {
		onA, onB := challenge(a), challenge(b)
		a.call("POST", "/api/v1/auth/login/mfa", map[string]any{"mfaToken": onA, "code": code(step)}, "").Want(t, 200)
		b.call("POST", "/api/v1/auth/login/mfa", map[string]any{"mfaToken": onB, "code": code(step)}, "").Want(t, 401, "invalid_code")
		// The token of B is still good for a fresh code (the next step, in the window).
		s := b.call("POST", "/api/v1/auth/login/mfa", map[string]any{"mfaToken": onB, "code": code(step + 1)}, "").Want(t, 200)
		a.call("GET", "/api/v1/users/me", nil, s.Str("accessToken")).Want(t, 200)
	})
}

// stepEdge waits (polling, bounded) until the current 30 s TOTP step has at
// least five seconds ahead, so that the steps a test computes stay in the window.
func stepEdge(t *testing.T) {
	t.Helper()
	testkit.Eventually(t, 40*time.Second, func() bool {
		into := time.Now().UnixMilli() % 30_000
		return into >= 1_000 && into <= 20_000
	}, "never away from a step boundary")
}
