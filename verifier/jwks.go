package verifier

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// JWKS cache policy.
const (
	// DefaultMaxAge is how long a JWKS without Cache-Control max-age is used.
	DefaultMaxAge = 5 * time.Minute
	// MinMaxAge and MaxMaxAge clamp the server's max-age: no-cache or max-age=0
	// must not mean a fetch per request, a huge one must not pin a key for days.
	MinMaxAge = 30 * time.Second
	MaxMaxAge = time.Hour
	// UnknownKidInterval is the least time between two fetches caused by tokens
	// whose kid the cached set does not list, so forged kids cannot flood authd.
	UnknownKidInterval = 30 * time.Second
	// RetryInterval is the least time between fetches after a failed one.
	RetryInterval = 5 * time.Second
	// MaxStale is how long the last good set stays in use while every refetch
	// fails; after that tokens are ErrUnavailable, not judged by old keys.
	MaxStale = 24 * time.Hour
	// maxJWKSBytes bounds the JWKS response read.
	maxJWKSBytes = 1 << 20
	// fetchTimeout bounds one fetch whatever the HTTP client's own timeout.
	fetchTimeout = 10 * time.Second
)

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("verifier: JWKSURL %q is not an http(s) URL", raw)
	}
	return nil
}

// keyCache holds the last good key set and fetches a new one when it expires
// or, at most once per UnknownKidInterval, when a token names an unknown kid.
// One fetch runs at a time; callers whose key is cached and fresh never wait.
type keyCache struct {
	url    string
	client *http.Client
	clock  func() time.Time

	mu          sync.Mutex
	keys        map[string]ed25519.PublicKey // nil until a fetch succeeds
	fetchedAt   time.Time                    // of the current keys
	expires     time.Time
	lastAttempt time.Time
	lastOK      bool
	lastErr     error
	inflight    chan struct{}
}

func newKeyCache(url string, client *http.Client, clock func() time.Time) *keyCache {
	return &keyCache{url: url, client: client, clock: clock}
}

// lookup returns the key named kid, fetching the set first when the policy
// allows it. An unknown kid is ErrInvalidToken; no usable set is ErrUnavailable.
func (c *keyCache) lookup(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	c.mu.Lock()
	if c.shouldFetch(c.clock(), kid) {
		done := c.inflight
		if done == nil {
			done = make(chan struct{})
			c.inflight = done
			c.lastAttempt = c.clock()
			// The fetch is not tied to this caller's context: others wait for it too.
			go c.fetch(done)
		}
		c.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: JWKS: %v", ErrUnavailable, ctx.Err())
		}
		c.mu.Lock()
	}
	defer c.mu.Unlock()
	now := c.clock()
	switch {
	case c.keys == nil:
		return nil, fmt.Errorf("%w: JWKS: %v", ErrUnavailable, c.lastErr)
	case !now.Before(c.fetchedAt.Add(MaxStale)):
		return nil, fmt.Errorf("%w: JWKS: no good set for %v: %v", ErrUnavailable, MaxStale, c.lastErr)
	}
	key, ok := c.keys[kid]
	if !ok {
		return nil, invalid("unknown kid")
	}
	return key, nil
}

// shouldFetch is the policy; c.mu is held.
func (c *keyCache) shouldFetch(now time.Time, kid string) bool {
	_, known := c.keys[kid]
	fresh := c.keys != nil && now.Before(c.expires)
	switch {
	case fresh && known:
		return false
	case c.inflight != nil:
		return true
	case !c.lastOK && c.lastAttempt.Add(RetryInterval).After(now):
		return false
	case !fresh:
		return true
	default: // fresh, unknown kid
		return !c.lastAttempt.Add(UnknownKidInterval).After(now)
	}
}

// fetch gets the set and, when it is good, replaces the cached one; a failure
// keeps the last good set.
func (c *keyCache) fetch(done chan struct{}) {
	keys, maxAge, err := c.get()
	c.mu.Lock()
	defer c.mu.Unlock()
	defer close(done)
	c.inflight = nil
	c.lastOK, c.lastErr = err == nil, err
	if err != nil {
		return
	}
	now := c.clock()
	c.keys, c.fetchedAt, c.expires = keys, now, now.Add(maxAge)
}

func (c *keyCache) get() (map[string]ed25519.PublicKey, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("fetch %s: %w", c.url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxJWKSBytes))
		return nil, 0, fmt.Errorf("fetch %s: status %d", c.url, res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("fetch %s: %w", c.url, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, 0, fmt.Errorf("fetch %s: response over %d bytes", c.url, maxJWKSBytes)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, 0, fmt.Errorf("fetch %s: %w", c.url, err)
	}
	return keys, cacheLifetime(res.Header), nil
}

// jwk is the part of a JSON Web Key the verifier reads.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// parseJWKS reads a JWK set: a JSON object whose keys member is an array.
// Ed25519 signing keys (kty OKP, crv Ed25519, alg EdDSA or none, use sig or
// none, a kid, a 32-byte x) are kept; other keys are skipped; two different
// keys under one kid make the whole set garbage.
func parseJWKS(b []byte) (map[string]ed25519.PublicKey, error) {
	var set struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("not a JWK set: %w", err)
	}
	if set.Keys == nil {
		return nil, errors.New("not a JWK set: no keys array")
	}
	out := make(map[string]ed25519.PublicKey)
	for _, raw := range *set.Keys {
		var k jwk
		if json.Unmarshal(raw, &k) != nil {
			continue // not an object, or fields of other types: not a key we use
		}
		if k.Kty != "OKP" || k.Crv != "Ed25519" || k.Kid == "" ||
			(k.Alg != "" && k.Alg != "EdDSA") || (k.Use != "" && k.Use != "sig") {
			continue
		}
		x, err := strictBase64.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			continue
		}
		if prev, dup := out[k.Kid]; dup && !prev.Equal(ed25519.PublicKey(x)) {
			return nil, fmt.Errorf("two keys with kid %q", k.Kid)
		}
		out[k.Kid] = ed25519.PublicKey(x)
	}
	return out, nil
}

// cacheLifetime is max-age minus Age from Cache-Control, DefaultMaxAge when
// absent, clamped to [MinMaxAge, MaxMaxAge]; no-store and no-cache mean MinMaxAge.
func cacheLifetime(h http.Header) time.Duration {
	ttl := DefaultMaxAge
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return MinMaxAge
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
				if err != nil || n < 0 {
					return MinMaxAge
				}
				ttl = time.Duration(min(n, int64(MaxMaxAge/time.Second))) * time.Second
			}
		}
	}
	if age, err := strconv.ParseInt(h.Get("Age"), 10, 64); err == nil && age > 0 {
		ttl -= time.Duration(min(age, int64(MaxMaxAge/time.Second))) * time.Second
	}
	return min(max(ttl, MinMaxAge), MaxMaxAge)
}
