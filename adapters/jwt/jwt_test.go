package jwt

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"authd/domain"
	"authd/ports"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func accessClaims() ports.AccessClaims {
	return ports.AccessClaims{UserID: "u1", Email: domain.MustEmail("jane@example.com"), Role: "customer", SessionID: "s1",
		IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
}

func newEd(t *testing.T, dir string) *Issuer {
	t.Helper()
	i, err := New(Config{Alg: AlgEdDSA, PrivateKeyFile: filepath.Join(dir, "keys", "jwt.pem"), Issuer: "authd", Audience: "authd"})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func newHS(t *testing.T, secret string) *Issuer {
	t.Helper()
	i, err := New(Config{Alg: AlgHS256, Secret: []byte(secret), Issuer: "authd", Audience: "authd"})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func wantInvalid(t *testing.T, i *Issuer, tok string) {
	t.Helper()
	if _, err := i.Verify(tok, now); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("accepted, err=%v", err)
	}
}

// forge signs arbitrary header and claims with key.
func forge(t *testing.T, m gojwt.SigningMethod, key any, header map[string]any, c gojwt.MapClaims) string {
	t.Helper()
	tok := gojwt.NewWithClaims(m, c)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validMap() gojwt.MapClaims {
	return gojwt.MapClaims{"iss": "authd", "aud": "authd", "sub": "u1", "sid": "s1", "jti": "j1", "email": "jane@example.com",
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
}

func TestRoundTrip(t *testing.T) {
	for name, i := range map[string]*Issuer{"EdDSA": newEd(t, t.TempDir()), "HS256": newHS(t, strings.Repeat("k", 32))} {
		t.Run(name+" tokens verify and carry every claim", func(t *testing.T) {
			tok, err := i.Issue(accessClaims())
			if err != nil {
				t.Fatal(err)
			}
			c, err := i.Verify(tok, now.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			want := accessClaims()
			if c.UserID != want.UserID || c.Email != want.Email || c.Role != want.Role || c.SessionID != want.SessionID ||
				!c.ExpiresAt.Equal(want.ExpiresAt) || !c.IssuedAt.Equal(want.IssuedAt) || len(c.ID) < 22 {
				t.Fatalf("got %+v", c)
			}
			parsed, _, _ := gojwt.NewParser().ParseUnverified(tok, gojwt.MapClaims{})
			if parsed.Header["typ"] != "at+jwt" || parsed.Header["kid"] == "" || parsed.Header["alg"] != name {
				t.Fatalf("header %v", parsed.Header)
			}
			if _, err := i.Verify(tok, want.ExpiresAt); !errors.Is(err, domain.ErrInvalidToken) {
				t.Fatal("accepted at its expiry")
			}
		})
	}
}

func TestKeyFile(t *testing.T) {
	t.Run("is generated once with mode 0600 and reused", func(t *testing.T) {
		dir := t.TempDir()
		a, b := newEd(t, dir), newEd(t, dir)
		tok, _ := a.Issue(accessClaims())
		if _, err := b.Verify(tok, now); err != nil {
			t.Fatalf("token of the first start refused after a restart: %v", err)
		}
		st, err := os.Stat(filepath.Join(dir, "keys", "jwt.pem"))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("key file %v, %v", st.Mode(), err)
		}
	})
	t.Run("a malformed file is an error that names it", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "bad.pem")
		os.WriteFile(p, []byte("not a key"), 0o600)
		_, err := New(Config{Alg: AlgEdDSA, PrivateKeyFile: p})
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a short HS256 secret and an unknown algorithm are refused", func(t *testing.T) {
		if _, err := New(Config{Alg: AlgHS256, Secret: []byte("short")}); err == nil {
			t.Fatal("short secret accepted")
		}
		if _, err := New(Config{Alg: "RS256"}); err == nil {
			t.Fatal("RS256 accepted")
		}
	})
}

func TestVerifyRefuses(t *testing.T) {
	dir := t.TempDir()
	ed := newEd(t, dir)
	priv := mustKey(t, filepath.Join(dir, "keys", "jwt.pem"))
	secret := strings.Repeat("s", 32)
	hs := newHS(t, secret)
	head := map[string]any{"typ": "at+jwt", "kid": ed.kid}
	with := func(k string, v any) gojwt.MapClaims { c := validMap(); c[k] = v; return c }
	without := func(k string) gojwt.MapClaims { c := validMap(); delete(c, k); return c }

	t.Run("accepts a correctly forged control token", func(t *testing.T) {
		if _, err := ed.Verify(forge(t, gojwt.SigningMethodEdDSA, priv, head, validMap()), now); err != nil {
			t.Fatal(err)
		}
	})
	cases := map[string]string{
		"an expired token":    forge(t, gojwt.SigningMethodEdDSA, priv, head, with("exp", now.Add(-time.Second).Unix())),
		"a token without exp": forge(t, gojwt.SigningMethodEdDSA, priv, head, without("exp")),
		"a wrong issuer":      forge(t, gojwt.SigningMethodEdDSA, priv, head, with("iss", "evil")),
		"a wrong audience":    forge(t, gojwt.SigningMethodEdDSA, priv, head, with("aud", "other")),
		"a missing sid":       forge(t, gojwt.SigningMethodEdDSA, priv, head, without("sid")),
		"a missing sub":       forge(t, gojwt.SigningMethodEdDSA, priv, head, without("sub")),
		"a missing jti":       forge(t, gojwt.SigningMethodEdDSA, priv, head, without("jti")),
		"a wrong typ":         forge(t, gojwt.SigningMethodEdDSA, priv, map[string]any{"typ": "JWT", "kid": ed.kid}, validMap()),
		"a missing typ":       forge(t, gojwt.SigningMethodEdDSA, priv, map[string]any{"typ": nil, "kid": ed.kid}, validMap()),
		"an unknown kid":      forge(t, gojwt.SigningMethodEdDSA, priv, map[string]any{"typ": "at+jwt", "kid": "other"}, validMap()),
		"alg none":            forge(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, head, validMap()),
		"HS256 keyed with the public key (alg confusion)": forge(t, gojwt.SigningMethodHS256, []byte(priv.Public().(ed25519.PublicKey)), head, validMap()),
		"an HS256 token at an EdDSA verifier":             forge(t, gojwt.SigningMethodHS256, []byte(secret), head, validMap()),
		"garbage":                                         "not.a.token",
		"an empty string":                                 "",
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) { wantInvalid(t, ed, tok) })
	}
	t.Run("an EdDSA token at an HS256 verifier", func(t *testing.T) {
		tok, _ := ed.Issue(accessClaims())
		wantInvalid(t, hs, tok)
	})
	t.Run("a token of another key", func(t *testing.T) {
		other := newEd(t, t.TempDir())
		tok, _ := other.Issue(accessClaims())
		wantInvalid(t, ed, tok)
	})
	t.Run("a tampered payload", func(t *testing.T) {
		tok, _ := ed.Issue(accessClaims())
		parts := strings.Split(tok, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "customer", "admin\"\"", 1)))
		wantInvalid(t, ed, strings.Join(parts, "."))
	})
}

func TestJTIsAreUnique(t *testing.T) {
	i := newHS(t, strings.Repeat("k", 32))
	seen := map[string]bool{}
	for range 1000 {
		tok, _ := i.Issue(accessClaims())
		c, _ := i.Verify(tok, now)
		if seen[c.ID] {
			t.Fatal("repeated jti")
		}
		seen[c.ID] = true
	}
}

func TestJWKS(t *testing.T) {
	t.Run("EdDSA publishes the key that verifies its tokens", func(t *testing.T) {
		i := newEd(t, t.TempDir())
		var set struct {
			Keys []map[string]string `json:"keys"`
		}
		if err := json.Unmarshal(i.JWKS(), &set); err != nil || len(set.Keys) != 1 {
			t.Fatalf("%s, %v", i.JWKS(), err)
		}
		k := set.Keys[0]
		if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" || k["use"] != "sig" || k["kid"] != i.kid {
			t.Fatalf("key %v", k)
		}
		x, _ := base64.RawURLEncoding.DecodeString(k["x"])
		tok, _ := i.Issue(accessClaims())
		parts := strings.Split(tok, ".")
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		if !ed25519.Verify(ed25519.PublicKey(x), []byte(parts[0]+"."+parts[1]), sig) {
			t.Fatal("published key does not verify a token")
		}
	})
	t.Run("HS256 publishes no key", func(t *testing.T) {
		if got := string(newHS(t, strings.Repeat("k", 32)).JWKS()); got != `{"keys":[]}` {
			t.Fatalf("got %s", got)
		}
	})
}

func mustKey(t *testing.T, path string) ed25519.PrivateKey {
	t.Helper()
	k, err := loadOrCreateEd25519(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
