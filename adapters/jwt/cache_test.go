package jwt

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"authd/domain"
	"authd/ports"
)

// Self-contained helpers, so that these tests do not depend on the others'.

var cacheNow = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func cachedEd(t *testing.T) *CachedVerifier {
	t.Helper()
	i, err := New(Config{Alg: AlgEdDSA, PrivateKeyFile: filepath.Join(t.TempDir(), "key.pem"), Issuer: "authd", Audience: "authd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return NewCachedVerifier(i)
}

func cacheToken(t *testing.T, c *CachedVerifier, sid string, ttl time.Duration) string {
	t.Helper()
	tok, err := c.Issue(ports.AccessClaims{UserID: "u1", Email: domain.MustEmail("jane@example.com"), Role: "customer",
		SessionID: domain.SessionID(sid), IssuedAt: cacheNow, ExpiresAt: cacheNow.Add(ttl)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestCachedVerifier(t *testing.T) {
	t.Run("answers a token verified before with the same claims", func(t *testing.T) {
		c := cachedEd(t)
		tok := cacheToken(t, c, "s1", 15*time.Minute)
		first, err := c.Verify(tok, cacheNow)
		if err != nil {
			t.Fatal(err)
		}
		again, err := c.Verify(tok, cacheNow.Add(time.Minute))
		if err != nil || again != first || c.cached() != 1 {
			t.Fatalf("got %+v, %v (cached %d), want %+v", again, err, c.cached(), first)
		}
	})

	t.Run("refuses a remembered token once it has expired", func(t *testing.T) {
		c := cachedEd(t)
		tok := cacheToken(t, c, "s1", time.Minute)
		if _, err := c.Verify(tok, cacheNow); err != nil {
			t.Fatal(err)
		}
		for _, at := range []time.Time{cacheNow.Add(time.Minute), cacheNow.Add(time.Hour)} {
			if _, err := c.Verify(tok, at); !errors.Is(err, domain.ErrInvalidToken) {
				t.Fatalf("at %s: got %v, want ErrInvalidToken", at, err)
			}
		}
	})

	t.Run("verifies in full any token that differs from a remembered one", func(t *testing.T) {
		c := cachedEd(t)
		tok := cacheToken(t, c, "s1", 15*time.Minute)
		if _, err := c.Verify(tok, cacheNow); err != nil {
			t.Fatal(err)
		}
		dot := strings.LastIndexByte(tok, '.')
		sig := []byte(tok[dot+1:])
		sig[3] ^= 1
		for _, forged := range []string{tok[:dot+1] + string(sig), tok + "A", tok[:dot+1], " " + tok} {
			if _, err := c.Verify(forged, cacheNow); !errors.Is(err, domain.ErrInvalidToken) {
				t.Fatalf("%q: got %v, want ErrInvalidToken", forged, err)
			}
		}
	})

	t.Run("remembers no failure", func(t *testing.T) {
		c := cachedEd(t)
		other := cachedEd(t) // another key
		tok := cacheToken(t, other, "s1", 15*time.Minute)
		for range 2 {
			if _, err := c.Verify(tok, cacheNow); !errors.Is(err, domain.ErrInvalidToken) {
				t.Fatalf("got %v", err)
			}
		}
		if c.cached() != 0 {
			t.Fatalf("%d failures remembered", c.cached())
		}
	})

	t.Run("does not serve a result to a clock that went back before it", func(t *testing.T) {
		c := cachedEd(t)
		tok := cacheToken(t, c, "s1", 15*time.Minute)
		if _, err := c.Verify(tok, cacheNow.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Verify(tok, cacheNow); err != nil { // verified in full again, and valid then too
			t.Fatal(err)
		}
	})

	t.Run("stays within its bound, dropping expired entries first", func(t *testing.T) {
		c := cachedEd(t)
		c.max = 8
		for i := range 4 {
			if _, err := c.Verify(cacheToken(t, c, "short"+string(rune('a'+i)), time.Second), cacheNow); err != nil {
				t.Fatal(err)
			}
		}
		var live []string
		for i := range 20 {
			tok := cacheToken(t, c, "long"+string(rune('a'+i)), time.Hour)
			live = append(live, tok)
			if _, err := c.Verify(tok, cacheNow.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if n := c.cached(); n > c.max {
				t.Fatalf("%d entries, bound %d", n, c.max)
			}
		}
		for _, tok := range live { // evicted or not, every live token still verifies
			if _, err := c.Verify(tok, cacheNow.Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	})
}
