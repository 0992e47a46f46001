package verifier

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// signer is one Ed25519 key with its kid.
type signer struct {
	kid  string
	priv ed25519.PrivateKey
}

func newSigner(t *testing.T, kid string) signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signer{kid: kid, priv: priv}
}

func (s signer) jwk() map[string]string {
	return map[string]string{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": s.kid,
		"x": base64.RawURLEncoding.EncodeToString(s.priv.Public().(ed25519.PublicKey))}
}

var b64 = base64.RawURLEncoding

// signRaw signs the given header and payload JSON texts as they are.
func (s signer) signRaw(header, payload string) string {
	in := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	return in + "." + b64.EncodeToString(ed25519.Sign(s.priv, []byte(in)))
}

func (s signer) header() string {
	return fmt.Sprintf(`{"alg":"EdDSA","kid":%q,"typ":"at+jwt"}`, s.kid)
}

// payload is a valid claims text for now, with extra members replacing or
// adding to the defaults (a nil value drops the member).
func payload(now time.Time, extra map[string]any) string {
	m := map[string]any{"iss": "authd", "aud": []string{"authd"}, "sub": "user-1", "email": "jane@example.com",
		"role": "customer", "sid": "session-1", "jti": "jti-1", "iat": now.Unix(), "exp": now.Add(15 * time.Minute).Unix()}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func (s signer) token(now time.Time, extra map[string]any) string {
	return s.signRaw(s.header(), payload(now, extra))
}

// jwksServer is an in-test JWKS endpoint whose answer the test sets.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int64
	mu      sync.Mutex
	status  int
	body    []byte
	cache   string
}

func newJWKSServer(t *testing.T, keys ...signer) *jwksServer {
	t.Helper()
	j := &jwksServer{status: http.StatusOK}
	j.publish(keys...)
	j.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.fetches.Add(1)
		j.mu.Lock()
		status, body, cache := j.status, j.body, j.cache
		j.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if cache != "" {
			w.Header().Set("Cache-Control", cache)
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(j.Close)
	return j
}

func (j *jwksServer) publish(keys ...signer) {
	set := []map[string]string{}
	for _, k := range keys {
		set = append(set, k.jwk())
	}
	b, _ := json.Marshal(map[string]any{"keys": set})
	j.answer(http.StatusOK, b)
}

func (j *jwksServer) answer(status int, body []byte) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status, j.body = status, body
}

func (j *jwksServer) setCacheControl(v string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.cache = v
}

func newTestVerifier(t *testing.T, url string, clock *fakeClock, mod ...func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{JWKSURL: url + "/.well-known/jwks.json", Issuer: "authd", Audience: "authd", Clock: clock.Now}
	for _, m := range mod {
		m(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func start() *fakeClock { return &fakeClock{now: time.Unix(1_800_000_000, 0)} }
