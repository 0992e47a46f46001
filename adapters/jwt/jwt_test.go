package jwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
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

const hsSecret = "0123456789abcdef0123456789abcdef" // 32 bytes

func accessClaims() ports.AccessClaims {
	return ports.AccessClaims{UserID: "u1", Email: domain.MustEmail("jane@example.com"), Role: "customer", SessionID: "s1",
		IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
}

func keyPath(dir string) string { return filepath.Join(dir, "keys", "jwt-ed25519.pem") }

func newEd(t *testing.T, path string) *Issuer {
	t.Helper()
	i, err := New(Config{Alg: AlgEdDSA, PrivateKeyFile: path, Issuer: "authd", Audience: "authd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func newHS(t *testing.T, secret string) *Issuer {
	t.Helper()
	i, err := New(Config{Alg: AlgHS256, Secret: domain.Secret(secret), Issuer: "authd", Audience: "authd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func issue(t *testing.T, i *Issuer) string {
	t.Helper()
	tok, err := i.Issue(accessClaims())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// forge signs arbitrary header fields and claims with key, the way an attacker
// (or another service) could.
func forge(t *testing.T, m gojwt.SigningMethod, key any, header map[string]any, c gojwt.MapClaims) string {
	t.Helper()
	tok := gojwt.NewWithClaims(m, c)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
			continue
		}
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
		"role": "customer", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
}

func with(k string, v any) gojwt.MapClaims { c := validMap(); c[k] = v; return c }
func without(k string) gojwt.MapClaims     { c := validMap(); delete(c, k); return c }

func readKey(t *testing.T, path string) ed25519.PrivateKey {
	t.Helper()
	k, err := loadOrCreateEd25519(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	issuers := []struct {
		alg string
		i   *Issuer
	}{
		{AlgEdDSA, newEd(t, keyPath(t.TempDir()))},
		{AlgHS256, newHS(t, hsSecret)},
	}
	for _, tt := range issuers {
		t.Run(tt.alg+" tokens verify and carry every claim", func(t *testing.T) {
			tok := issue(t, tt.i)
			got, err := tt.i.Verify(tok, now.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			want := accessClaims()
			if got.UserID != want.UserID || got.Email != want.Email || got.Role != want.Role || got.SessionID != want.SessionID ||
				!got.ExpiresAt.Equal(want.ExpiresAt) || !got.IssuedAt.Equal(want.IssuedAt) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
			if raw, err := base64.RawURLEncoding.DecodeString(got.ID); err != nil || len(raw) < 16 {
				t.Fatalf("jti %q is not 128 random bits in base64url", got.ID)
			}
		})
		t.Run(tt.alg+" tokens carry typ, kid and alg in the header and iss, aud in the claims", func(t *testing.T) {
			parsed, _, err := gojwt.NewParser().ParseUnverified(issue(t, tt.i), gojwt.MapClaims{})
			if err != nil {
				t.Fatal(err)
			}
			if parsed.Header["typ"] != "at+jwt" || parsed.Header["kid"] != tt.i.kid || parsed.Header["alg"] != tt.alg {
				t.Fatalf("header %v", parsed.Header)
			}
			c := parsed.Claims.(gojwt.MapClaims)
			if c["iss"] != "authd" || c["aud"] == nil || c["sub"] != "u1" || c["sid"] != "s1" || c["email"] != "jane@example.com" {
				t.Fatalf("claims %v", c)
			}
		})
		t.Run(tt.alg+" tokens are refused from their expiry on", func(t *testing.T) {
			if _, err := tt.i.Verify(issue(t, tt.i), accessClaims().ExpiresAt); !errors.Is(err, domain.ErrInvalidToken) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run(tt.alg+" refuses to issue a token without expiry", func(t *testing.T) {
			c := accessClaims()
			c.ExpiresAt = time.Time{}
			if _, err := tt.i.Issue(c); err == nil {
				t.Fatal("issued a token that never expires")
			}
		})
	}
}

func TestKeyFile(t *testing.T) {
	t.Run("is generated on first start, 0600 in a 0700 dir, and reused after a restart", func(t *testing.T) {
		path := keyPath(t.TempDir())
		first := newEd(t, path)
		second := newEd(t, path)
		for _, pair := range [][2]*Issuer{{first, second}, {second, first}} {
			if _, err := pair[1].Verify(issue(t, pair[0]), now); err != nil {
				t.Fatalf("token of one start refused by the other: %v", err)
			}
		}
		if first.kid != second.kid {
			t.Fatal("kid changed across restarts")
		}
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode %v, %v", st.Mode(), err)
		}
		dst, err := os.Stat(filepath.Dir(path))
		if err != nil || dst.Mode().Perm() != 0o700 {
			t.Fatalf("key dir mode %v, %v", dst.Mode(), err)
		}
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Fatalf("temp files left behind: %v", entries)
		}
	})

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name     string
		contents []byte
	}{
		{"a file that is not PEM", []byte("not a key")},
		{"an empty file", nil},
		{"a PEM block of another type", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}})},
		{"a PEM block that is not PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})},
		{"a PKCS#8 key that is not Ed25519", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})},
	}
	for _, tt := range bad {
		t.Run(tt.name+" is an error that names the file", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.pem")
			if err := os.WriteFile(path, tt.contents, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := New(Config{Alg: AlgEdDSA, PrivateKeyFile: path, Issuer: "authd", Audience: "authd"}, nil)
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"an HS256 secret shorter than 32 bytes", Config{Alg: AlgHS256, Secret: domain.Secret(hsSecret[:31]), Issuer: "authd", Audience: "authd"}},
		{"HS256 without a secret", Config{Alg: AlgHS256, Issuer: "authd", Audience: "authd"}},
		{"an unknown algorithm", Config{Alg: "RS256", Secret: domain.Secret(hsSecret), Issuer: "authd", Audience: "authd"}},
		{"no algorithm", Config{Secret: domain.Secret(hsSecret), Issuer: "authd", Audience: "authd"}},
		{"the none algorithm", Config{Alg: "none", Issuer: "authd", Audience: "authd"}},
		{"EdDSA without a key file", Config{Alg: AlgEdDSA, Issuer: "authd", Audience: "authd"}},
		{"an empty issuer", Config{Alg: AlgEdDSA, PrivateKeyFile: keyPath(dir), Audience: "authd"}},
		{"an empty audience", Config{Alg: AlgHS256, Secret: domain.Secret(hsSecret), Issuer: "authd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			if _, err := New(tt.cfg, nil); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	t.Run("the error for a short secret does not contain it", func(t *testing.T) {
		_, err := New(Config{Alg: AlgHS256, Secret: domain.Secret("hunter2"), Issuer: "authd", Audience: "authd"}, nil)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestVerifyRefuses(t *testing.T) {
	path := keyPath(t.TempDir())
	ed := newEd(t, path)
	priv := readKey(t, path)
	pub := priv.Public().(ed25519.PublicKey)
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs := newHS(t, hsSecret)
	otherPath := keyPath(t.TempDir())
	other := newEd(t, otherPath)
	otherHS := newHS(t, strings.Repeat("z", 32))
	edHead := map[string]any{"typ": "at+jwt", "kid": ed.kid}
	hsHead := map[string]any{"typ": "at+jwt", "kid": hs.kid}
	edWith := func(h map[string]any) map[string]any {
		out := map[string]any{"typ": "at+jwt", "kid": ed.kid}
		for k, v := range h {
			out[k] = v
		}
		return out
	}

	accepted := []struct {
		name  string
		i     *Issuer
		token string
	}{
		{"a token forged correctly with our EdDSA key (the control)", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, validMap())},
		{"a token forged correctly with our HS256 secret (the control)", hs, forge(t, gojwt.SigningMethodHS256, []byte(hsSecret), hsHead, validMap())},
		{"typ application/at+jwt", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edWith(map[string]any{"typ": "application/at+jwt"}), validMap())},
		{"typ in upper case", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edWith(map[string]any{"typ": "AT+JWT"}), validMap())},
		{"aud as a list containing ours", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, with("aud", []string{"other", "authd"}))},
	}
	for _, tt := range accepted {
		t.Run("accepts "+tt.name, func(t *testing.T) {
			if _, err := tt.i.Verify(tt.token, now); err != nil {
				t.Fatal(err)
			}
		})
	}

	refused := []struct {
		name  string
		i     *Issuer
		token string
	}{
		{"an expired token", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, with("exp", now.Add(-time.Second).Unix()))},
		{"a token without exp", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, without("exp"))},
		{"a token not valid before a later time", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, with("nbf", now.Add(time.Minute).Unix()))},
		{"a wrong issuer", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, with("iss", "evil"))},
		{"a missing issuer", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, without("iss"))},
		{"a wrong audience", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, with("aud", "other"))},
		{"a missing audience", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, without("aud"))},
		{"a missing sub", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, without("sub"))},
		{"a missing sid", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, without("sid"))},
		{"a missing jti", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, without("jti"))},
		{"an email that is not an address", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edHead, with("email", "not an email"))},
		{"typ JWT", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edWith(map[string]any{"typ": "JWT"}), validMap())},
		{"a missing typ", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edWith(map[string]any{"typ": nil}), validMap())},
		{"an unknown kid", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edWith(map[string]any{"kid": "other"}), validMap())},
		{"a missing kid", ed, forge(t, gojwt.SigningMethodEdDSA, priv, edWith(map[string]any{"kid": nil}), validMap())},
		{"alg none at an EdDSA verifier", ed, forge(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, edHead, validMap())},
		{"alg none at an HS256 verifier", hs, forge(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, hsHead, validMap())},
		{"HS256 keyed with our raw public key (alg confusion)", ed, forge(t, gojwt.SigningMethodHS256, []byte(pub), edHead, validMap())},
		{"HS256 keyed with our PEM public key (alg confusion)", ed, forge(t, gojwt.SigningMethodHS256, pubPEM, edHead, validMap())},
		{"an HS256 token at an EdDSA verifier", ed, issue(t, hs)},
		{"an EdDSA token at an HS256 verifier", hs, issue(t, ed)},
		{"HS384 with our HS256 secret", hs, forge(t, gojwt.SigningMethodHS384, []byte(hsSecret), hsHead, validMap())},
		{"an EdDSA token of another key", ed, issue(t, other)},
		{"an EdDSA token of another key carrying our kid", ed, forge(t, gojwt.SigningMethodEdDSA, readKey(t, otherPath), edHead, validMap())},
		{"an HS256 token of another secret", hs, issue(t, otherHS)},
		{"a tampered payload", ed, tamper(t, issue(t, ed))},
		{"a token without its signature", ed, strings.Join(strings.Split(issue(t, ed), ".")[:2], ".") + "."},
		{"garbage", ed, "not.a.token"},
		{"an empty string", ed, ""},
	}
	for _, tt := range refused {
		t.Run("refuses "+tt.name+" with invalid_token", func(t *testing.T) {
			_, err := tt.i.Verify(tt.token, now)
			if !errors.Is(err, domain.ErrInvalidToken) {
				t.Fatalf("got %v", err)
			}
			if tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Fatal("the error contains the token")
			}
		})
	}
}

// tamper turns the token's role into admin, keeping the payload valid JSON.
func tamper(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(payload), `"role":"customer"`, `"role":"admin"`, 1)
	if changed == string(payload) || !json.Valid([]byte(changed)) {
		t.Fatalf("could not tamper with %s", payload)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(changed))
	return strings.Join(parts, ".")
}

func TestJTIsAreUnique(t *testing.T) {
	for _, i := range []*Issuer{newHS(t, hsSecret), newEd(t, keyPath(t.TempDir()))} {
		t.Run(i.alg+" never repeats a jti in 1000 tokens", func(t *testing.T) {
			seen := make(map[string]bool, 1000)
			for range 1000 {
				c, err := i.Verify(issue(t, i), now)
				if err != nil {
					t.Fatal(err)
				}
				if seen[c.ID] {
					t.Fatalf("repeated jti %q", c.ID)
				}
				seen[c.ID] = true
			}
		})
	}
}

func TestKID(t *testing.T) {
	t.Run("the EdDSA kid is the RFC 7638 thumbprint of the public key", func(t *testing.T) {
		path := keyPath(t.TempDir())
		i := newEd(t, path)
		x := base64.RawURLEncoding.EncodeToString(readKey(t, path).Public().(ed25519.PublicKey))
		sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`))
		if want := base64.RawURLEncoding.EncodeToString(sum[:]); i.kid != want {
			t.Fatalf("kid %q, want %q", i.kid, want)
		}
	})
	t.Run("the HS256 kid is a short digest that does not reveal the secret", func(t *testing.T) {
		i := newHS(t, hsSecret)
		sum := sha256.Sum256([]byte(hsSecret))
		if want := base64.RawURLEncoding.EncodeToString(sum[:8]); i.kid != want {
			t.Fatalf("kid %q, want %q", i.kid, want)
		}
		if strings.Contains(i.kid, hsSecret[:8]) {
			t.Fatal("kid contains the secret")
		}
	})
}

func TestJWKS(t *testing.T) {
	t.Run("EdDSA publishes one OKP key whose x verifies its tokens", func(t *testing.T) {
		i := newEd(t, keyPath(t.TempDir()))
		var set struct {
			Keys []map[string]string `json:"keys"`
		}
		if err := json.Unmarshal(i.JWKS(), &set); err != nil || len(set.Keys) != 1 {
			t.Fatalf("%s, %v", i.JWKS(), err)
		}
		k := set.Keys[0]
		want := map[string]string{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": i.kid, "x": k["x"]}
		if len(k) != len(want) {
			t.Fatalf("key %v has other members than %v", k, want)
		}
		for name, v := range want {
			if k[name] != v {
				t.Fatalf("%s = %q, want %q", name, k[name], v)
			}
		}
		x, err := base64.RawURLEncoding.DecodeString(k["x"])
		if err != nil || len(x) != ed25519.PublicKeySize {
			t.Fatalf("x %q: %v", k["x"], err)
		}
		parts := strings.Split(issue(t, i), ".")
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			t.Fatal(err)
		}
		if !ed25519.Verify(ed25519.PublicKey(x), []byte(parts[0]+"."+parts[1]), sig) {
			t.Fatal("the published key does not verify a token")
		}
	})
	t.Run("HS256 publishes an empty key set", func(t *testing.T) {
		if got := string(newHS(t, hsSecret).JWKS()); got != `{"keys":[]}` {
			t.Fatalf("got %s", got)
		}
	})
	t.Run("a caller changing the returned document does not change the next one", func(t *testing.T) {
		i := newHS(t, hsSecret)
		b := i.JWKS()
		b[0] = 'X'
		if string(i.JWKS()) != `{"keys":[]}` {
			t.Fatal("JWKS shares its buffer")
		}
	})
}
