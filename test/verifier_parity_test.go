package test

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"authd/adapters/jwt"
	"authd/domain"
	"authd/ports"
	"authd/verifier"
)

// TestVerifierAgreesWithAuthd runs authd's own verification (adapters/jwt) and
// the verifier module on the same tokens, each variant re-signed with authd's
// key so that only the checks can refuse it: they must agree on every one.
func TestVerifierAgreesWithAuthd(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	iss, err := jwt.New(jwt.Config{Alg: jwt.AlgEdDSA, PrivateKeyFile: keyFile, Issuer: "authd", Audience: "authd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	priv := readEd25519(t, keyFile)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(iss.JWKS()) }))
	t.Cleanup(jwks.Close)
	now := time.Now().Truncate(time.Second)
	v, err := verifier.New(verifier.Config{JWKSURL: jwks.URL, Issuer: "authd", Audience: "authd", Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	good, err := iss.Issue(ports.AccessClaims{UserID: "u1", Email: domain.MustEmail("jane@example.com"), Role: "customer",
		SessionID: "s1", IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	seg := strings.Split(good, ".")
	hb, _ := base64.RawURLEncoding.DecodeString(seg[0])
	pb, _ := base64.RawURLEncoding.DecodeString(seg[1])
	var header, claims map[string]any
	_ = json.Unmarshal(hb, &header)
	_ = json.Unmarshal(pb, &claims)
	enc := base64.RawURLEncoding.EncodeToString
	sign := func(h, p string) string {
		in := enc([]byte(h)) + "." + enc([]byte(p))
		return in + "." + enc(ed25519.Sign(priv, []byte(in)))
	}
	with := func(m map[string]any, k string, val any) string {
		c := map[string]any{}
		for kk, vv := range m {
			c[kk] = vv
		}
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		b, _ := json.Marshal(c)
		return string(b)
	}
	H, P := string(hb), string(pb)
	exp := now.Add(15 * time.Minute).Unix()
	tokens := map[string]string{
		"as issued":         good,
		"re-signed":         sign(H, P),
		"padding":           seg[0] + "=." + seg[1] + "." + seg[2],
		"trailing bits":     seg[0] + "." + seg[1] + "." + seg[2][:len(seg[2])-1] + string(seg[2][len(seg[2])-1]+1),
		"line break":        seg[0] + "\n." + seg[1] + "." + seg[2],
		"data after claims": sign(H, P+" {}"),
		"spaces in claims":  sign(H, " "+P+" "),
		"duplicate claim":   sign(H, strings.TrimSuffix(P, "}")+`,"role":"admin"}`),
		"duplicate header":  sign(strings.TrimSuffix(H, "}")+`,"alg":"EdDSA"}`, P),
		"crit":              sign(with(header, "crit", []string{"exp"}), P),
		"typ JWT":           sign(with(header, "typ", "JWT"), P),
		"typ application":   sign(with(header, "typ", "application/at+jwt"), P),
		"typ capitals":      sign(with(header, "typ", "AT+JWT"), P),
		"typ missing":       sign(with(header, "typ", nil), P),
		"kid other":         sign(with(header, "kid", "other"), P),
		"kid missing":       sign(with(header, "kid", nil), P),
		"alg HS256":         sign(with(header, "alg", "HS256"), P),
		"alg none":          sign(with(header, "alg", "none"), P),
		"alg missing":       sign(with(header, "alg", nil), P),
		"iss other":         sign(H, with(claims, "iss", "other")),
		"iss missing":       sign(H, with(claims, "iss", nil)),
		"iss empty":         sign(H, with(claims, "iss", "")),
		"aud string":        sign(H, with(claims, "aud", "authd")),
		"aud other":         sign(H, with(claims, "aud", []string{"x"})),
		"aud two":           sign(H, with(claims, "aud", []string{"x", "authd"})),
		"aud empty":         sign(H, with(claims, "aud", []string{})),
		"aud empty string":  sign(H, with(claims, "aud", "")),
		"aud missing":       sign(H, with(claims, "aud", nil)),
		"aud number inside": sign(H, with(claims, "aud", []any{"authd", 1})),
		"exp missing":       sign(H, with(claims, "exp", nil)),
		"exp string":        sign(H, with(claims, "exp", "9999999999")),
		"exp now":           sign(H, with(claims, "exp", now.Unix())),
		"exp past":          sign(H, with(claims, "exp", now.Unix()-1)),
		"exp fraction":      sign(H, with(claims, "exp", float64(now.Unix())+0.9)),
		"exp next second":   sign(H, with(claims, "exp", now.Unix()+1)),
		"exp exponent":      sign(H, with(claims, "exp", json.Number("1e10"))),
		"exp huge":          sign(H, with(claims, "exp", json.Number("1e400"))),
		"exp negative":      sign(H, with(claims, "exp", -1)),
		"nbf future":        sign(H, with(claims, "nbf", exp)),
		"nbf past":          sign(H, with(claims, "nbf", now.Unix()-10)),
		"nbf string":        sign(H, with(claims, "nbf", "1")),
		"iat string":        sign(H, with(claims, "iat", "1")),
		"iat missing":       sign(H, with(claims, "iat", nil)),
		"sub missing":       sign(H, with(claims, "sub", nil)),
		"sub number":        sign(H, with(claims, "sub", 1)),
		"sid missing":       sign(H, with(claims, "sid", nil)),
		"jti missing":       sign(H, with(claims, "jti", nil)),
		"email missing":     sign(H, with(claims, "email", nil)),
		"email bad":         sign(H, with(claims, "email", "jane")),
		"email upper":       sign(H, with(claims, "email", "Jane@Example.COM")),
		"email name":        sign(H, with(claims, "email", "J <jane@example.com>")),
		"role missing":      sign(H, with(claims, "role", nil)),
		"role number":       sign(H, with(claims, "role", 1)),
		"EXP in capitals":   sign(H, with(with2(claims, "exp", nil), "EXP", exp)),
		"claims an array":   sign(H, `[`+P+`]`),
		"header an array":   sign(`[`+H+`]`, P),
		"claims null":       sign(H, `null`),
		"escaped name":      sign(H, strings.Replace(P, `"sid"`, `"s\u0069d"`, 1)),
		"bad signature":     seg[0] + "." + seg[1] + "." + enc(make([]byte, 64)),
		"other payload":     seg[0] + "." + enc([]byte(with(claims, "role", "admin"))) + "." + seg[2],
	}
	for name, tok := range tokens {
		_, errAuthd := iss.Verify(tok, now)
		_, errVerifier := v.Verify(context.Background(), tok)
		if (errAuthd == nil) != (errVerifier == nil) {
			t.Errorf("%s: authd says %v, the verifier says %v", name, errAuthd, errVerifier)
		}
	}
	if _, err := v.Verify(context.Background(), good); err != nil {
		t.Fatalf("the issued token: %v", err)
	}
}

func with2(m map[string]any, k string, val any) map[string]any {
	c := map[string]any{}
	for kk, vv := range m {
		c[kk] = vv
	}
	if val == nil {
		delete(c, k)
	} else {
		c[k] = val
	}
	return c
}

func readEd25519(t *testing.T, path string) ed25519.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(ed25519.PrivateKey)
}

// TestVerifierModuleDependencies: a service importing authd/verifier compiles
// no Fiber, no SQL driver, no test library, and its go.mod requires gomemcache
// only; the Fiber middleware's module adds Fiber and nothing of authd's server.
func TestVerifierModuleDependencies(t *testing.T) {
	root := repoRoot(t)
	forbidden := []string{"github.com/gofiber/", "github.com/valyala/", "database/sql", "github.com/go-sql-driver/",
		"modernc.org/", "github.com/jackc/", "github.com/lib/pq", "github.com/testcontainers/", "github.com/stretchr/",
		"github.com/docker/", "github.com/moby/", "github.com/golang-jwt/", "authd/adapters", "authd/application"}
	for _, tc := range []struct {
		dir     string
		allowed []string // forbidden prefixes this module may use
	}{
		{"verifier", nil},
		// Fiber's google/uuid implements sql.Scanner: the standard library's
		// interfaces, not a driver.
		{"verifier/fiberverifier", []string{"github.com/gofiber/", "github.com/valyala/", "database/sql/driver"}},
	} {
		cmd := exec.Command("go", "list", "-deps", "./...")
		cmd.Dir = filepath.Join(root, tc.dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: go list: %v\n%s", tc.dir, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("%s: go list gave too little: %q", tc.dir, out)
		}
	dep:
		for _, d := range deps {
			for _, f := range forbidden {
				if strings.HasPrefix(d, f) {
					for _, a := range tc.allowed {
						if strings.HasPrefix(d, a) {
							continue dep
						}
					}
					t.Errorf("%s depends on %s", tc.dir, d)
				}
			}
		}
	}
	cmd := exec.Command("go", "list", "-m", "all")
	cmd.Dir = filepath.Join(root, "verifier")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -m: %v\n%s", err, out)
	}
	if mods := strings.Fields(string(out)); len(mods) != 3 || mods[0] != "authd/verifier" || mods[1] != "github.com/bradfitz/gomemcache" {
		t.Fatalf("authd/verifier's module graph is %q, want itself and gomemcache only", out)
	}
}
