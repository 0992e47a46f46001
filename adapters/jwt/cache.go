package jwt

import (
	"crypto/sha256"
	"sync"
	"time"

	"authd/ports"
)

// verifyCacheSize bounds the verified tokens remembered: at 15-minute tokens
// it holds every token of 16k sessions active in a quarter of an hour, in
// about 5 MiB.
const verifyCacheSize = 1 << 14

// CachedVerifier is the Issuer with a memory of the access tokens it has
// verified, because an Ed25519 verification (and the claim decoding around
// it) is most of the cost of an authenticated request, and a client presents
// the same token again and again until it expires.
//
// What makes it safe to serve a remembered result:
//   - the key is the SHA-256 of the whole token string, so only the exact bytes
//     that were verified (header, claims and signature) hit; a token that
//     differs anywhere is verified in full;
//   - only successes are remembered, and a result is served only at a time
//     from when it was verified until the token's exp (before exp, as the
//     full check requires), so an expired token is refused as before; the
//     other checks (algorithm, key, typ, iss, aud, signature) depend on the
//     bytes and on this Issuer's fixed key and settings alone;
//   - revocation is not part of verification: the caller (the
//     Authenticator) asks the denylist on every request, cached or not, so a
//     revoked session's token fails at once.
//
// Should keys ever rotate within one Issuer, a retired key's entries must be
// dropped with it. The cache is bounded (verifyCacheSize); it is safe for
// concurrent use.
type CachedVerifier struct {
	*Issuer
	max int

	mu      sync.RWMutex
	entries map[[sha256.Size]byte]verified
}

// verified is one remembered successful verification.
type verified struct {
	claims     ports.AccessClaims
	verifiedAt time.Time
}

var _ ports.TokenIssuer = (*CachedVerifier)(nil)

// NewCachedVerifier puts a verified-token cache in front of i, for wire.
func NewCachedVerifier(i *Issuer) *CachedVerifier {
	return &CachedVerifier{Issuer: i, max: verifyCacheSize, entries: make(map[[sha256.Size]byte]verified)}
}

// Verify answers from the cache when the exact token was verified before and
// is still unexpired at now, else verifies it in full; see ports.TokenIssuer.
func (c *CachedVerifier) Verify(token string, now time.Time) (ports.AccessClaims, error) {
	key := sha256.Sum256([]byte(token))
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if ok && now.Before(e.claims.ExpiresAt) && !now.Before(e.verifiedAt) {
		return e.claims, nil
	}
	claims, err := c.Issuer.Verify(token, now)
	if err != nil {
		if ok {
			c.mu.Lock()
			delete(c.entries, key)
			c.mu.Unlock()
		}
		return claims, err
	}
	c.mu.Lock()
	if len(c.entries) >= c.max {
		c.evict(now)
	}
	c.entries[key] = verified{claims: claims, verifiedAt: now}
	c.mu.Unlock()
	return claims, nil
}

// evict makes room: it drops every expired entry and, when that is not a
// quarter of the cache, arbitrary others (map order) until it is. Callers hold
// c.mu.
func (c *CachedVerifier) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.claims.ExpiresAt) {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) <= c.max*3/4 {
			return
		}
		delete(c.entries, k)
	}
}

// cached reports how many verifications the cache holds, for tests.
func (c *CachedVerifier) cached() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
