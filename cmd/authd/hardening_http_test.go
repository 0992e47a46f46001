package main

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"authd/internal/testkit"
)

// Black-box tests of the abuse hardening of the transport: access tokens are
// accepted in one spelling and with claims of their JSON types only, JSON
// responses name their charset, a 405 says which methods the path accepts, and a
// 413 reaches a client that is still sending a huge body.

const jsonUTF8 = "application/json; charset=utf-8"

// checkJSONError checks the contract's error shape with the exact JSON media type.
func checkJSONError(t *testing.T, r *testkit.Reply) {
	t.Helper()
	checkErrorShape(t, r)
	if ct := r.Header.Get("Content-Type"); ct != jsonUTF8 {
		t.Fatalf("Content-Type %q, want %q", ct, jsonUTF8)
	}
}

// signer re-signs access tokens with the instance's own Ed25519 key, so that a
// token refused below is refused for its spelling or its claim types, never for
// its signature.
type signer struct{ key ed25519.PrivateKey }

func newSigner(t *testing.T, a *testApp) signer {
	t.Helper()
	if a.cfg.JWTPrivateKeyFile == "" { // the key ring's signing key
		_, key, err := a.app.Keys.SigningKey()
		if err != nil {
			t.Fatal(err)
		}
		return signer{key: key}
	}
	b, err := os.ReadFile(a.cfg.JWTPrivateKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("key file is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: k.(ed25519.PrivateKey)}
}

// sign returns header.payload.signature over exactly the given segments.
func (s signer) sign(header, payload string) string {
	sig := ed25519.Sign(s.key, []byte(header+"."+payload))
	return header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// claimsOf decodes the payload of a token as JSON members, in their raw form.
func claimsOf(t *testing.T, tok string) (header string, claims map[string]json.RawMessage) {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(b, &claims) != nil {
		t.Fatalf("payload of %q: %v", tok, err)
	}
	return parts[0], claims
}

// encodeClaims writes the claims as a payload segment; with widen, spaces are
// added until the segment's last character carries spare bits.
func encodeClaims(claims map[string]json.RawMessage, widen bool) string {
	b, _ := json.Marshal(claims)
	for widen && base64.RawURLEncoding.EncodedLen(len(b))%4 != 2 {
		b = append(b[:len(b)-1], ' ', '}')
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// lowBitSet spells the segment's last character with a trailing bit set: the same
// bytes to a lenient decoder, a different string.
func lowBitSet(t *testing.T, seg string) string {
	t.Helper()
	if len(seg)%4 == 0 {
		t.Fatalf("segment %q has no spare bits", seg)
	}
	i := strings.IndexByte(base64URLAlphabet, seg[len(seg)-1])
	out := seg[:len(seg)-1] + string(base64URLAlphabet[i|1])
	a, errA := base64.RawURLEncoding.DecodeString(out)
	b, errB := base64.RawURLEncoding.DecodeString(seg)
	if out == seg || errA != nil || errB != nil || string(a) != string(b) {
		t.Fatalf("%q is not another spelling of %q", out, seg)
	}
	return out
}

func padded(seg string) string {
	if len(seg)%4 == 0 {
		return seg
	}
	return seg + strings.Repeat("=", 4-len(seg)%4)
}

func TestHardenedAccessTokens(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	tok := a.registerVerified("jane@example.com").Str("accessToken")
	s := newSigner(t, a)
	header, claims := claimsOf(t, tok)
	parts := strings.Split(tok, ".")

	// with returns the claims with one member replaced by raw JSON.
	with := func(name, raw string) map[string]json.RawMessage {
		out := make(map[string]json.RawMessage, len(claims))
		for k, v := range claims {
			out[k] = v
		}
		out[name] = json.RawMessage(raw)
		return out
	}
	widened := encodeClaims(claims, true)

	t.Run("the issued token and a hand-signed copy of it are accepted (the controls)", func(t *testing.T) {
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(tok)).Want(t, 200)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.sign(header, widened))).Want(t, 200)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.sign(header, encodeClaims(with("extra", `{"any":["type"]}`), false)))).Want(t, 200)
	})

	var exp int64
	if err := json.Unmarshal(claims["exp"], &exp); err != nil {
		t.Fatal(err)
	}
	refused := []struct {
		name  string
		token string
	}{
		{"padding on the signature", parts[0] + "." + parts[1] + "." + padded(parts[2])},
		{"padding on the payload, signed as padded", s.sign(header, padded(widened))},
		{"a signature whose last character has a trailing bit set", parts[0] + "." + parts[1] + "." + lowBitSet(t, parts[2])},
		{"a payload whose last character has a trailing bit set, signed so", s.sign(header, lowBitSet(t, widened))},
		{"exp as a string", s.sign(header, encodeClaims(with("exp", fmt.Sprintf(`"%d"`, exp)), false))},
		{"iat as a string", s.sign(header, encodeClaims(with("iat", `"`+string(claims["iat"])+`"`), false))},
		{"sub as a number", s.sign(header, encodeClaims(with("sub", `42`), false))},
		{"sid as a number", s.sign(header, encodeClaims(with("sid", `7`), false))},
		{"role as a number", s.sign(header, encodeClaims(with("role", `1`), false))},
		{"role as null", s.sign(header, encodeClaims(with("role", `null`), false))},
		{"email as an array", s.sign(header, encodeClaims(with("email", `["jane@example.com"]`), false))},
		{"jti as an object", s.sign(header, encodeClaims(with("jti", `{}`), false))},
		{"aud as a number", s.sign(header, encodeClaims(with("aud", `1`), false))},
		{"aud as a list holding a number", s.sign(header, encodeClaims(with("aud", `["authd",1]`), false))},
	}
	for _, tt := range refused {
		t.Run("refuses "+tt.name+" with 401 invalid_token", func(t *testing.T) {
			checkJSONError(t, a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(tt.token)).Want(t, 401, "invalid_token"))
		})
	}
	t.Run("refuses a non-canonical token in the access_token cookie too", func(t *testing.T) {
		bad := parts[0] + "." + parts[1] + "." + lowBitSet(t, parts[2])
		checkJSONError(t, a.do("GET", "/api/v1/users/me", nil, testkit.Cookie("access_token", bad)).Want(t, 401, "invalid_token"))
	})
}

func TestJSONResponsesNameTheirCharset(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	tok := a.registerVerified("jane@example.com").Str("accessToken")

	success := []struct {
		method, path string
		body         any
		opts         []testkit.Opt
		status       int
	}{
		{"GET", "/healthz", nil, nil, 200},
		{"GET", "/readyz", nil, nil, 200},
		{"GET", "/.well-known/jwks.json", nil, nil, 200},
		{"GET", "/api/v1/users/me", nil, []testkit.Opt{testkit.Bearer(tok)}, 200},
		{"PATCH", "/api/v1/users/me", map[string]any{"firstName": "Jane"}, []testkit.Opt{testkit.Bearer(tok)}, 200},
		{"GET", "/api/v1/users/me/sessions", nil, []testkit.Opt{testkit.Bearer(tok)}, 200},
		{"POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": pw}, nil, 200},
		{"POST", "/api/v1/auth/password/forgot", map[string]any{"email": "nobody@example.com"}, nil, 202},
	}
	for _, tt := range success {
		t.Run(tt.method+" "+tt.path+" answers "+jsonUTF8, func(t *testing.T) {
			r := a.do(tt.method, tt.path, tt.body, tt.opts...).Want(t, tt.status)
			if ct := r.Header.Get("Content-Type"); ct != jsonUTF8 {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}

	errorsCases := []struct {
		name, method, path string
		body               any
		opts               []testkit.Opt
		status             int
		code               string
	}{
		{"an unknown route", "GET", "/api/v1/nope", nil, nil, 404, "not_found"},
		{"a wrong method", "POST", "/api/v1/users/me", nil, nil, 405, "method_not_allowed"},
		{"a method nobody knows", "FROB", "/healthz", nil, nil, 405, "method_not_allowed"},
		{"malformed JSON", "POST", "/api/v1/auth/login", `{"email":`, nil, 400, "malformed_json"},
		{"a validation failure", "POST", "/api/v1/auth/register", map[string]any{"email": "x"}, nil, 400, "validation_failed"},
		{"a body that is not JSON", "POST", "/api/v1/auth/login", "a=b", []testkit.Opt{testkit.Header("Content-Type", "text/plain")}, 415, "unsupported_media_type"},
		{"no token", "GET", "/api/v1/users/me", nil, nil, 401, "unauthenticated"},
		{"wrong credentials", "POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": "wrong password"}, nil, 401, "invalid_credentials"},
		{"a body over the limit", "POST", "/api/v1/auth/login", `{"email":"` + strings.Repeat("a", 100_000) + `"}`, nil, 413, "payload_too_large"},
		{"a body over the server's ceiling", "POST", "/api/v1/auth/login", `{"email":"` + strings.Repeat("a", 2<<20) + `"}`, nil, 413, "payload_too_large"},
	}
	for _, tt := range errorsCases {
		t.Run(tt.name+" answers its error in "+jsonUTF8, func(t *testing.T) {
			checkJSONError(t, a.do(tt.method, tt.path, tt.body, tt.opts...).Want(t, tt.status, tt.code))
		})
	}

	t.Run("the reset page keeps its own media type", func(t *testing.T) {
		if ct := a.do("GET", "/reset-password", nil).Want(t, 200).Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Fatalf("Content-Type %q", ct)
		}
	})
}

func TestMethodNotAllowedCarriesAllow(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	tests := []struct {
		method, path, allow string
	}{
		{"POST", "/api/v1/users/me", "GET, HEAD, DELETE, PATCH, OPTIONS"},
		{"PUT", "/api/v1/users/me", "GET, HEAD, DELETE, PATCH, OPTIONS"},
		{"POST", "/api/v1/users/me/", "GET, HEAD, DELETE, PATCH, OPTIONS"},
		{"GET", "/api/v1/auth/login", "POST, OPTIONS"},
		{"DELETE", "/api/v1/auth/logout", "POST, OPTIONS"},
		{"HEAD", "/api/v1/auth/refresh", "POST, OPTIONS"},
		{"POST", "/healthz", "GET, HEAD, OPTIONS"},
		{"PATCH", "/.well-known/jwks.json", "GET, HEAD, OPTIONS"},
		{"POST", "/api/v1/auth/email/verify/some-token", "GET, HEAD, OPTIONS"},
		{"GET", "/api/v1/users/me/sessions/0193a1b2-0000-7000-8000-000000000001", "DELETE, OPTIONS"},
		{"FROB", "/api/v1/users/me", "GET, HEAD, DELETE, PATCH, OPTIONS"},
		{"get", "/healthz", "GET, HEAD, OPTIONS"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" is 405 with Allow: "+tt.allow, func(t *testing.T) {
			r := a.do(tt.method, tt.path, nil).Want(t, 405)
			if tt.method != "HEAD" {
				checkJSONError(t, r)
				if r.Code() != "method_not_allowed" {
					t.Fatalf("code %q", r.Code())
				}
			}
			if got := r.Header.Values("Allow"); len(got) != 1 || got[0] != tt.allow {
				t.Fatalf("Allow %q, want %q", got, tt.allow)
			}
			// Every method named is answered on that path, none with 405.
			for _, m := range strings.Split(tt.allow, ", ") {
				if st := a.do(m, tt.path, nil).Status; st == 405 {
					t.Errorf("%s %s is 405 although Allow names it", m, tt.path)
				}
			}
			if o := a.do("OPTIONS", tt.path, nil).Want(t, 204); o.Header.Get("Allow") != tt.allow {
				t.Errorf("OPTIONS Allow %q, want %q", o.Header.Get("Allow"), tt.allow)
			}
		})
	}
	t.Run("the methods that are not in Allow are 405 on that path", func(t *testing.T) {
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT"} {
			allowed := slices.Contains([]string{"GET", "HEAD", "DELETE", "PATCH"}, m)
			if st := a.do(m, "/api/v1/users/me", nil).Status; (st == 405) == allowed {
				t.Errorf("%s /api/v1/users/me: %d", m, st)
			}
		}
	})
	t.Run("an unknown method on an unknown path is 404 without Allow", func(t *testing.T) {
		r := a.do("FROB", "/api/v1/nope", nil).Want(t, 404, "not_found")
		checkJSONError(t, r)
		if _, has := r.Header["Allow"]; has {
			t.Fatalf("Allow %q on a 404", r.Header.Get("Allow"))
		}
	})
}

// repeating is an endless source of the same byte, for bodies that are never held in memory.
type repeating byte

func (r repeating) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestOversizedBodiesGetA413TheClientCanRead(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	const size = 10 << 20

	send := func(t *testing.T, chunked bool) {
		t.Helper()
		body := io.MultiReader(strings.NewReader(`{"email":"`), io.LimitReader(repeating('a'), size))
		req, err := http.NewRequest("POST", a.base+"/api/v1/auth/register", body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if chunked {
			req.TransferEncoding = []string{"chunked"}
		} else {
			req.ContentLength = int64(len(`{"email":"`)) + size
		}
		// The 10 MiB body is streamed, not kept: only the response is checked.
		r := (&testkit.Client{HTTP: client, Check: checkOpenAPI}).Send(t, req)
		var answer map[string]any
		if err := json.Unmarshal(r.Bytes(), &answer); err != nil {
			t.Fatalf("body %q: %v", r.Raw, err)
		}
		checkJSONError(t, r.Want(t, 413, "payload_too_large"))
	}
	for _, chunked := range []bool{false, true} {
		name := "with a Content-Length"
		if chunked {
			name = "chunked"
		}
		t.Run("a 10 MB body "+name+" gets its 413, 20 times in a row", func(t *testing.T) {
			for range 20 {
				send(t, chunked)
			}
		})
	}
	t.Run("the service still answers afterwards", func(t *testing.T) {
		a.do("GET", "/healthz", nil).Want(t, 200)
	})
}
