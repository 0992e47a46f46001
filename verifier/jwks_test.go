package verifier

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestJWKSUnreachableIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	clock := start()
	v := newTestVerifier(t, "http://"+addr, clock)
	if _, err := v.Verify(context.Background(), newSigner(t, "k1").token(clock.Now(), nil)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}

func TestJWKSGarbageIsUnavailable(t *testing.T) {
	key := newSigner(t, "k1")
	for name, answer := range map[string]struct {
		status int
		body   string
	}{
		"500":              {500, `{"keys":[]}`},
		"404":              {404, "not found"},
		"html":             {200, "<html>hi</html>"},
		"empty":            {200, ""},
		"no keys member":   {200, `{}`},
		"keys not array":   {200, `{"keys":{"kid":"k1"}}`},
		"keys null":        {200, `{"keys":null}`},
		"truncated":        {200, `{"keys":[{"kty":"OKP"`},
		"oversized":        {200, `{"keys":[],"pad":"` + strings.Repeat("x", maxJWKSBytes) + `"}`},
		"kid twice":        {200, `{"keys":[` + jwkText(key) + `,` + jwkText(newSigner(t, "k1")) + `]}`},
		"array, not a set": {200, `[` + jwkText(key) + `]`},
	} {
		t.Run(name, func(t *testing.T) {
			clock := start()
			srv := newJWKSServer(t)
			srv.answer(answer.status, []byte(answer.body))
			v := newTestVerifier(t, srv.URL, clock)
			if _, err := v.Verify(context.Background(), key.token(clock.Now(), nil)); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("got %v, want ErrUnavailable", err)
			}
		})
	}
}

func jwkText(s signer) string {
	j := s.jwk()
	return `{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","use":"sig","kid":"` + j["kid"] + `","x":"` + j["x"] + `"}`
}

// TestJWKSSkipsKeysItCannotUse: only Ed25519 signing keys count; a token whose
// kid names another kind of key is refused.
func TestJWKSSkipsKeysItCannotUse(t *testing.T) {
	clock := start()
	key := newSigner(t, "good")
	x := key.jwk()["x"]
	srv := newJWKSServer(t)
	srv.answer(200, []byte(`{"keys":[
		{"kty":"RSA","kid":"rsa","n":"AQAB","e":"AQAB"},
		{"kty":"OKP","crv":"X25519","kid":"x25519","x":"`+x+`"},
		{"kty":"OKP","crv":"Ed25519","kid":"enc","use":"enc","x":"`+x+`"},
		{"kty":"OKP","crv":"Ed25519","kid":"hs","alg":"HS256","x":"`+x+`"},
		{"kty":"OKP","crv":"Ed25519","kid":"short","x":"AAAA"},
		{"kty":"oct","kid":"oct","k":"c2VjcmV0"},
		"not an object", 7, null,
		`+jwkText(key)+`]}`))
	v := newTestVerifier(t, srv.URL, clock)
	if _, err := v.Verify(context.Background(), key.token(clock.Now(), nil)); err != nil {
		t.Fatalf("the Ed25519 key: %v", err)
	}
	for _, kid := range []string{"rsa", "x25519", "enc", "hs", "short", "oct"} {
		s := signer{kid: kid, priv: key.priv}
		if _, err := v.Verify(context.Background(), s.token(clock.Now(), nil)); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("kid %s: got %v, want ErrInvalidToken", kid, err)
		}
	}
}

func TestJWKSKeepsLastGoodSetWhenRefetchFails(t *testing.T) {
	clock := start()
	key := newSigner(t, "k1")
	srv := newJWKSServer(t, key)
	v := newTestVerifier(t, srv.URL, clock)
	ctx := context.Background()
	if _, err := v.Verify(ctx, key.token(clock.Now(), nil)); err != nil {
		t.Fatal(err)
	}
	for i, bad := range []string{"garbage", "unreachable"} {
		if bad == "garbage" {
			srv.answer(200, []byte("<html>"))
		} else {
			srv.answer(502, []byte("bad gateway"))
		}
		clock.Add(DefaultMaxAge + time.Second)
		if _, err := v.Verify(ctx, key.token(clock.Now(), nil)); err != nil {
			t.Fatalf("%s: the last good set must stay in use: %v", bad, err)
		}
		if got := srv.fetches.Load(); got != int64(i+2) {
			t.Fatalf("%s: %d fetches, want %d", bad, got, i+2)
		}
		// An unknown kid is refused, never accepted, while the set is stale.
		if _, err := v.Verify(ctx, newSigner(t, "k2").token(clock.Now(), nil)); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("%s: unknown kid: got %v, want ErrInvalidToken", bad, err)
		}
	}
	// After a failure, retries are spaced by RetryInterval.
	before := srv.fetches.Load()
	for range 10 {
		_, _ = v.Verify(ctx, key.token(clock.Now(), nil))
	}
	if got := srv.fetches.Load(); got != before {
		t.Fatalf("%d fetches within RetryInterval of a failure, want none", got-before)
	}
	// Past MaxStale the old keys judge nothing any more.
	clock.Add(MaxStale)
	if _, err := v.Verify(ctx, key.token(clock.Now(), nil)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("past MaxStale: got %v, want ErrUnavailable", err)
	}
	// And the set recovers once the endpoint does.
	srv.publish(key)
	clock.Add(RetryInterval)
	if _, err := v.Verify(ctx, key.token(clock.Now(), nil)); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestJWKSUnknownKidRefetchIsBounded(t *testing.T) {
	clock := start()
	k1, k2 := newSigner(t, "k1"), newSigner(t, "k2")
	srv := newJWKSServer(t, k1)
	v := newTestVerifier(t, srv.URL, clock)
	ctx := context.Background()
	if _, err := v.Verify(ctx, k1.token(clock.Now(), nil)); err != nil {
		t.Fatal(err)
	}
	// k2 is published now, but the set fetched a moment ago is fresh: tokens of
	// k2 are refused without a fetch until UnknownKidInterval has passed.
	srv.publish(k1, k2)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := v.Verify(ctx, k2.token(clock.Now(), nil)); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("got %v, want ErrInvalidToken", err)
			}
		})
	}
	wg.Wait()
	if got := srv.fetches.Load(); got != 1 {
		t.Fatalf("%d fetches, want 1 (no refetch within %v of the last)", got, UnknownKidInterval)
	}
	clock.Add(UnknownKidInterval)
	for range 50 {
		wg.Go(func() {
			if _, err := v.Verify(ctx, k2.token(clock.Now(), nil)); err != nil {
				t.Errorf("after the refetch: %v", err)
			}
		})
	}
	wg.Wait()
	if got := srv.fetches.Load(); got != 2 {
		t.Fatalf("%d fetches, want 2 (one refetch for 50 tokens with the new kid)", got)
	}
	// Forged kids: at most one fetch per interval, whatever their number.
	for i := range 100 {
		forged := signer{kid: "forged" + string(rune('a'+i%26)), priv: k1.priv}
		if _, err := v.Verify(ctx, forged.token(clock.Now(), nil)); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("forged kid: got %v", err)
		}
		if i%10 == 9 {
			clock.Add(UnknownKidInterval / 3)
		}
	}
	// 100 tokens over 100 s of fake time: the refetches are spaced 30 s apart.
	if got := srv.fetches.Load() - 2; got > 4 {
		t.Fatalf("%d fetches for forged kids over 100 s, want at most 4", got)
	}
}

func TestJWKSCacheControlIsHonoured(t *testing.T) {
	clock := start()
	key := newSigner(t, "k1")
	srv := newJWKSServer(t, key)
	srv.setCacheControl("public, max-age=120")
	v := newTestVerifier(t, srv.URL, clock)
	ctx := context.Background()
	verify := func() {
		t.Helper()
		if _, err := v.Verify(ctx, key.token(clock.Now(), nil)); err != nil {
			t.Fatal(err)
		}
	}
	verify()
	clock.Add(119 * time.Second)
	verify()
	if got := srv.fetches.Load(); got != 1 {
		t.Fatalf("%d fetches within max-age, want 1", got)
	}
	clock.Add(time.Second)
	verify()
	if got := srv.fetches.Load(); got != 2 {
		t.Fatalf("%d fetches at max-age, want 2", got)
	}
}

func TestCacheLifetime(t *testing.T) {
	for _, tc := range []struct {
		cacheControl, age string
		want              time.Duration
	}{
		{"", "", DefaultMaxAge},
		{"public, max-age=300", "", 300 * time.Second},
		{"max-age=120", "20", 100 * time.Second},
		{"MAX-AGE=60, must-revalidate", "", 60 * time.Second},
		{`max-age="90"`, "", 90 * time.Second},
		{"max-age=0", "", MinMaxAge},
		{"no-cache", "", MinMaxAge},
		{"no-store, max-age=600", "", MinMaxAge},
		{"max-age=-1", "", MinMaxAge},
		{"max-age=soon", "", MinMaxAge},
		{"max-age=99999999999999999999", "", MinMaxAge},
		{"max-age=31536000", "", MaxMaxAge},
		{"max-age=300", "9999999", MinMaxAge},
		{"private", "", DefaultMaxAge},
	} {
		h := http.Header{}
		if tc.cacheControl != "" {
			h.Set("Cache-Control", tc.cacheControl)
		}
		if tc.age != "" {
			h.Set("Age", tc.age)
		}
		if got := cacheLifetime(h); got != tc.want {
			t.Errorf("Cache-Control %q Age %q: %v, want %v", tc.cacheControl, tc.age, got, tc.want)
		}
	}
}

// TestJWKSKeyRotation: authd publishes next, signing and retiring keys at once;
// tokens of each verify, and a key that leaves the set stops verifying once the
// cached set expires.
func TestJWKSKeyRotation(t *testing.T) {
	clock := start()
	retiring, signing, next := newSigner(t, "retiring"), newSigner(t, "signing"), newSigner(t, "next")
	srv := newJWKSServer(t, next, signing, retiring)
	v := newTestVerifier(t, srv.URL, clock)
	ctx := context.Background()
	for _, k := range []signer{retiring, signing, next} {
		if _, err := v.Verify(ctx, k.token(clock.Now(), nil)); err != nil {
			t.Fatalf("%s: %v", k.kid, err)
		}
	}
	srv.publish(next, signing)
	clock.Add(DefaultMaxAge)
	if _, err := v.Verify(ctx, retiring.token(clock.Now(), nil)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("retired key: got %v, want ErrInvalidToken", err)
	}
	if _, err := v.Verify(ctx, next.token(clock.Now(), nil)); err != nil {
		t.Fatalf("next: %v", err)
	}
	if got := srv.fetches.Load(); got != 2 {
		t.Fatalf("%d fetches, want 2", got)
	}
}

// TestJWKSFetchOutlivesCallerContext: a caller that gives up gets
// ErrUnavailable; the fetch it started still fills the cache for the others.
func TestJWKSCallerContext(t *testing.T) {
	clock := start()
	key := newSigner(t, "k1")
	srv := newJWKSServer(t, key)
	v := newTestVerifier(t, srv.URL, clock)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Verify(ctx, key.token(clock.Now(), nil)); err != nil && !errors.Is(err, ErrUnavailable) {
		t.Fatalf("cancelled caller: got %v, want nil or ErrUnavailable", err)
	}
	if _, err := v.Verify(context.Background(), key.token(clock.Now(), nil)); err != nil {
		t.Fatal(err)
	}
}
