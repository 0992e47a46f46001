package test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"authd/internal/testkit"
	"authd/verifier"
)

// TestKeyRotationTwoInstances runs two authd processes on one database
// (MySQL, then PostgreSQL) with the key ring in it: a key rotated on A is
// followed by B without a restart, tokens signed before and after verify on
// both and through the JWKS with the verifier module, and a retired key's
// token is refused.
func TestKeyRotationTwoInstances(t *testing.T) {
	requireDocker(t)
	eachEngine(t, testKeyRotation)
}

func testKeyRotation(t *testing.T, e sqlEngine) {
	env := e.env(t, e.freshDSN(t), sharedMemcached(t), map[string]string{
		"AUTH_JWT_ALG": "EdDSA", "AUTH_JWT_SECRET": "", "AUTH_HMAC_SECRET": "",
		"AUTH_KEY_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString([]byte("a key-encryption key of 32 bytes")),
		"AUTH_JWKS_MAX_AGE":       "2s", "AUTH_ACCESS_TOKEN_TTL": "4s",
	})
	a, b := startInstance(t, env), startInstance(t, env)

	const email, password = "jane@example.com", "correct horse battery"
	a.call("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": password}, "").Want(t, 201)
	b.call("GET", "/api/v1/auth/email/verify/"+mailFor(t, email, verifyLinkRe, a, b), nil, "").Want(t, 200)
	login := func(in *instance) string {
		return in.call("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "").Want(t, 200).Str("accessToken")
	}
	before := login(a)
	b.call("GET", "/api/v1/users/me", nil, before).Want(t, 200)
	jwks := newVerifier(t, verifier.Config{JWKSURL: b.base + "/.well-known/jwks.json"})
	if _, err := jwks.Verify(context.Background(), before); err != nil {
		t.Fatalf("the verifier refuses a token signed before the rotation: %v", err)
	}

	// Rotate on A from the command line, as an operator would.
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	rotate := exec.Command(bin, "keys", "rotate")
	rotate.Env = append(os.Environ(), "AUTH_DATA_DIR="+t.TempDir())
	for k, v := range env {
		rotate.Env = append(rotate.Env, k+"="+v)
	}
	out, err := rotate.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "added key ") {
		t.Fatalf("keys rotate: %v\n%s", err, out)
	}
	kid := strings.Fields(strings.TrimPrefix(strings.TrimSpace(string(out)[strings.Index(string(out), "added key "):]), "added key "))[0]
	kid = strings.TrimSuffix(kid, ":")

	var after string
	testkit.EventuallyOK(t, 30*time.Second, func() string {
		after = login(b)
		if headerKid(after) != kid {
			return "B never signed with the rotated key"
		}
		return ""
	})
	for _, in := range []*instance{a, b} {
		in.call("GET", "/api/v1/users/me", nil, before).Want(t, 200)
		in.call("GET", "/api/v1/users/me", nil, after).Want(t, 200)
	}
	// The verifier clamps max-age to at least 30s, so the one above may not
	// have refetched yet; a fresh one sees both keys in one JWKS.
	jwks = newVerifier(t, verifier.Config{JWKSURL: a.base + "/.well-known/jwks.json"})
	for name, tok := range map[string]string{"before": before, "after": after} {
		if _, err := jwks.Verify(context.Background(), tok); err != nil {
			t.Fatalf("the verifier refuses the token signed %s the rotation: %v", name, err)
		}
	}

	// The first key retires AUTH_ACCESS_TOKEN_TTL after it stopped signing: it
	// leaves the JWKS and its token is refused everywhere. (That its token is
	// refused for the key, not for its exp, is the application's schedule test.)
	testkit.EventuallyOK(t, 30*time.Second, func() string {
		r := a.call("GET", "/.well-known/jwks.json", nil, "")
		if strings.Contains(r.Raw, headerKid(before)) {
			return "the first key is still published after its last token expired: " + r.Raw
		}
		return ""
	})
	for _, in := range []*instance{a, b} {
		in.call("GET", "/api/v1/users/me", nil, before).Want(t, 401)
	}
	if _, err := jwks.Verify(context.Background(), before); err == nil {
		t.Fatal("the verifier accepts a retired key's token")
	}
}

// headerKid is the kid in a token's header ("" when unreadable).
func headerKid(tok string) string {
	seg, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(raw, &h)
	return h.Kid
}
