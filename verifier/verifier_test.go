package verifier

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerifyAcceptsAuthdToken(t *testing.T) {
	clock := start()
	key := newSigner(t, "k1")
	srv := newJWKSServer(t, key)
	v := newTestVerifier(t, srv.URL, clock)
	c, err := v.Verify(context.Background(), key.token(clock.Now(), map[string]any{"email": "Jane@Example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{Subject: "user-1", Email: "jane@example.com", Role: "customer", SessionID: "session-1", ID: "jti-1",
		IssuedAt: clock.Now().UTC(), ExpiresAt: clock.Now().Add(15 * time.Minute).UTC()}
	if c != want {
		t.Fatalf("claims %+v, want %+v", c, want)
	}
}

// TestVerifyRefusesWhatAuthdRefuses re-signs every variant with the published
// key, so only the checks themselves can refuse it.
func TestVerifyRefusesWhatAuthdRefuses(t *testing.T) {
	clock := start()
	now := clock.Now()
	key := newSigner(t, "k1")
	other := newSigner(t, "k1")
	srv := newJWKSServer(t, key)
	v := newTestVerifier(t, srv.URL, clock)
	good := key.token(now, nil)
	h, p, _ := strings.Cut(good, ".")
	p, sig, _ := strings.Cut(p, ".")
	hs256 := func() string {
		in := b64.EncodeToString([]byte(`{"alg":"HS256","kid":"k1","typ":"at+jwt"}`)) + "." + p
		m := hmac.New(sha256.New, []byte(key.jwk()["x"]))
		m.Write([]byte(in))
		return in + "." + b64.EncodeToString(m.Sum(nil))
	}
	flip := func(s string) string { // change the last character's value, keeping it base64url
		b := []byte(s)
		if b[len(b)-1] == 'A' {
			b[len(b)-1] = 'Q'
		} else {
			b[len(b)-1] = 'A'
		}
		return string(b)
	}
	cases := map[string]string{
		"empty":                    "",
		"two segments":             h + "." + p,
		"four segments":            good + ".x",
		"padding":                  h + "=." + p + "." + sig,
		"line break":               h + "\n." + p + "." + sig,
		"non-zero trailing bits":   h + "." + p + "." + sig[:len(sig)-1] + string(sig[len(sig)-1]+1),
		"bad signature":            h + "." + p + "." + flip(sig),
		"other key, same kid":      other.token(now, nil),
		"payload swapped":          h + "." + b64.EncodeToString([]byte(payload(now, map[string]any{"role": "admin"}))) + "." + sig,
		"alg HS256":                hs256(),
		"alg none":                 b64.EncodeToString([]byte(`{"alg":"none","kid":"k1","typ":"at+jwt"}`)) + "." + p + ".AA",
		"alg missing":              key.signRaw(`{"kid":"k1","typ":"at+jwt"}`, payload(now, nil)),
		"alg not a string":         key.signRaw(`{"alg":["EdDSA"],"kid":"k1","typ":"at+jwt"}`, payload(now, nil)),
		"alg ED25519":              key.signRaw(`{"alg":"Ed25519","kid":"k1","typ":"at+jwt"}`, payload(now, nil)),
		"typ JWT":                  key.signRaw(`{"alg":"EdDSA","kid":"k1","typ":"JWT"}`, payload(now, nil)),
		"typ missing":              key.signRaw(`{"alg":"EdDSA","kid":"k1"}`, payload(now, nil)),
		"typ not a string":         key.signRaw(`{"alg":"EdDSA","kid":"k1","typ":1}`, payload(now, nil)),
		"kid missing":              key.signRaw(`{"alg":"EdDSA","typ":"at+jwt"}`, payload(now, nil)),
		"kid not a string":         key.signRaw(`{"alg":"EdDSA","kid":1,"typ":"at+jwt"}`, payload(now, nil)),
		"crit":                     key.signRaw(`{"alg":"EdDSA","crit":["exp"],"exp":1,"kid":"k1","typ":"at+jwt"}`, payload(now, nil)),
		"duplicate header member":  key.signRaw(`{"alg":"none","alg":"EdDSA","kid":"k1","typ":"at+jwt"}`, payload(now, nil)),
		"header not an object":     key.signRaw(`["EdDSA"]`, payload(now, nil)),
		"payload not an object":    key.signRaw(key.header(), `"x"`),
		"payload not JSON":         key.signRaw(key.header(), `{"sub":`),
		"data after payload":       key.signRaw(key.header(), payload(now, nil)+` {}`),
		"duplicate claim":          key.signRaw(key.header(), strings.Replace(payload(now, nil), `"role":"customer"`, `"role":"customer","role":"admin"`, 1)),
		"claim name in other case": key.signRaw(key.header(), payload(now, map[string]any{"exp": nil, "EXP": now.Add(time.Hour).Unix()})),
		"exp missing":              key.token(now, map[string]any{"exp": nil}),
		"exp a string":             key.token(now, map[string]any{"exp": "1900000000"}),
		"exp null":                 key.signRaw(key.header(), strings.Replace(payload(now, nil), `"exp":1800000900`, `"exp":null`, 1)),
		"expired":                  key.token(now, map[string]any{"exp": now.Add(-time.Second).Unix()}),
		"exp is now":               key.token(now, map[string]any{"exp": now.Unix()}),
		"nbf in the future":        key.token(now, map[string]any{"nbf": now.Add(time.Minute).Unix()}),
		"iat a string":             key.token(now, map[string]any{"iat": "1800000000"}),
		"iss wrong":                key.token(now, map[string]any{"iss": "evil"}),
		"iss missing":              key.token(now, map[string]any{"iss": nil}),
		"iss not a string":         key.token(now, map[string]any{"iss": []string{"authd"}}),
		"aud wrong":                key.token(now, map[string]any{"aud": "other"}),
		"aud missing":              key.token(now, map[string]any{"aud": nil}),
		"aud empty array":          key.token(now, map[string]any{"aud": []string{}}),
		"aud with a number":        key.token(now, map[string]any{"aud": []any{"authd", 1}}),
		"sub missing":              key.token(now, map[string]any{"sub": nil}),
		"sid missing":              key.token(now, map[string]any{"sid": nil}),
		"jti missing":              key.token(now, map[string]any{"jti": nil}),
		"sid a number":             key.token(now, map[string]any{"sid": 7}),
		"email missing":            key.token(now, map[string]any{"email": nil}),
		"email invalid":            key.token(now, map[string]any{"email": "jane"}),
		"email with a name":        key.token(now, map[string]any{"email": "Jane <jane@example.com>"}),
		"too long":                 key.token(now, map[string]any{"pad": strings.Repeat("x", maxTokenLength)}),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("got %v, want ErrInvalidToken", err)
			}
		})
	}
	// The spellings authd accepts are accepted.
	for name, tok := range map[string]string{
		"typ application/at+jwt": key.signRaw(`{"alg":"EdDSA","kid":"k1","typ":"application/at+jwt"}`, payload(now, nil)),
		"typ in capitals":        key.signRaw(`{"alg":"EdDSA","kid":"k1","typ":"AT+JWT"}`, payload(now, nil)),
		"aud a string":           key.token(now, map[string]any{"aud": "authd"}),
		"aud among others":       key.token(now, map[string]any{"aud": []string{"x", "authd"}}),
		"no iat":                 key.token(now, map[string]any{"iat": nil}),
		"unknown claims":         key.token(now, map[string]any{"scope": []int{1}}),
	} {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// fakeDenylist answers from a map, or fails.
type fakeDenylist struct {
	revoked map[string]bool
	err     error
}

func (f fakeDenylist) Revoked(_ context.Context, sid string, _ time.Time) (bool, error) {
	return f.revoked[sid], f.err
}

func TestVerifyDenylist(t *testing.T) {
	clock := start()
	key := newSigner(t, "k1")
	srv := newJWKSServer(t, key)
	tok := key.token(clock.Now(), nil)
	for name, tc := range map[string]struct {
		d    fakeDenylist
		want error
	}{
		"not revoked":   {fakeDenylist{}, nil},
		"revoked":       {fakeDenylist{revoked: map[string]bool{"session-1": true}}, ErrRevoked},
		"cannot tell":   {fakeDenylist{err: errors.New("connection refused")}, ErrUnavailable},
		"error and yes": {fakeDenylist{revoked: map[string]bool{"session-1": false}, err: ErrUnavailable}, ErrUnavailable},
	} {
		v := newTestVerifier(t, srv.URL, clock, func(c *Config) { c.Denylist = tc.d })
		_, err := v.Verify(context.Background(), tok)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no url":       {Issuer: "authd", Audience: "authd"},
		"no issuer":    {JWKSURL: "http://127.0.0.1/jwks", Audience: "authd"},
		"no audience":  {JWKSURL: "http://127.0.0.1/jwks", Issuer: "authd"},
		"not http":     {JWKSURL: "file:///etc/passwd", Issuer: "authd", Audience: "authd"},
		"no servers":   {JWKSURL: "http://127.0.0.1/jwks", Issuer: "authd", Audience: "authd", Denylist: &MemcachedDenylist{}},
		"bad server":   {JWKSURL: "http://127.0.0.1/jwks", Issuer: "authd", Audience: "authd", Denylist: &MemcachedDenylist{Servers: []string{"::::"}}},
		"relative url": {JWKSURL: "/jwks", Issuer: "authd", Audience: "authd"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}
