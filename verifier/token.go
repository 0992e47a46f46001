package verifier

import (
	"bytes"
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// This file repeats, without golang-jwt, exactly the checks of authd's
// adapters/jwt (jwt.go and strict.go): a token is accepted in one spelling
// only (compact serialization, strict unpadded base64url, no duplicate JSON
// members, no crit, claims of their JSON types), with alg EdDSA, typ at+jwt,
// a kid, iss, aud and exp. The root module's test/verifier_parity_test.go runs
// both on the same tampered tokens so they cannot drift apart.

// maxTokenLength bounds the work an oversized header can cause; authd's tokens
// are well under 1 KiB.
const maxTokenLength = 8 << 10

const tokenType = "at+jwt"

var strictBase64 = base64.RawURLEncoding.Strict()

// token is a parsed, not yet verified token.
type token struct {
	kid          string
	signingInput string
	signature    []byte
	claims       rawClaims
}

// parseToken checks everything about token that needs no key.
func parseToken(s string) (*token, error) {
	if len(s) > maxTokenLength || !compactSerialization(s) {
		return nil, errors.New("not a compact JWS")
	}
	h, rest, _ := strings.Cut(s, ".")
	p, sig, _ := strings.Cut(rest, ".")
	t := &token{signingInput: s[:len(h)+1+len(p)]}
	hb, err := strictBase64.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if t.kid, err = checkHeader(hb); err != nil {
		return nil, err
	}
	pb, err := strictBase64.DecodeString(p)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	if err := t.claims.unmarshal(pb); err != nil {
		return nil, err
	}
	if t.signature, err = strictBase64.DecodeString(sig); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return t, nil
}

// verify checks the Ed25519 signature with key.
func (t *token) verify(key ed25519.PublicKey) bool {
	return len(key) == ed25519.PublicKeySize && ed25519.Verify(key, []byte(t.signingInput), t.signature)
}

// compactSerialization reports whether s is three base64url segments without
// padding or any other character (RFC 7515 §7.1), header and payload non-empty.
func compactSerialization(s string) bool {
	dots := 0
	last := -1
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case 'A' <= ch && ch <= 'Z', 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9', ch == '-', ch == '_':
		case ch == '.':
			if i == last+1 {
				return false
			}
			dots++
			last = i
		default:
			return false
		}
	}
	return dots == 2 && last < len(s)-1
}

// checkHeader accepts a JOSE header with alg EdDSA, typ at+jwt (or
// application/at+jwt, any case), a string kid, no crit and no duplicate member,
// and returns the kid.
func checkHeader(b []byte) (string, error) {
	var alg, typ, kid string
	var hasAlg bool
	err := eachMember(b, func(name string, v json.RawMessage) error {
		switch name {
		case "crit":
			return errors.New("crit header")
		case "alg":
			hasAlg = true
			return stringMember(name, v, &alg)
		case "typ":
			// authd reads typ as a string if it is one; any other type fails its check.
			if len(v) > 0 && v[0] == '"' {
				return json.Unmarshal(v, &typ)
			}
		case "kid":
			if len(v) > 0 && v[0] == '"' {
				return json.Unmarshal(v, &kid)
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return "", fmt.Errorf("header: %w", err)
	case !hasAlg || alg != "EdDSA":
		return "", fmt.Errorf("alg %q not accepted", alg)
	case !strings.EqualFold(typ, tokenType) && !strings.EqualFold(typ, "application/"+tokenType):
		return "", fmt.Errorf("typ %q not accepted", typ)
	case kid == "":
		return "", errors.New("no kid")
	}
	return kid, nil
}

// eachMember calls fn for every member of the JSON object b, in order, with the
// exact (unescaped) name, refusing duplicate names and data after the object.
func eachMember(b []byte, fn func(name string, v json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		if seen[name] {
			return fmt.Errorf("duplicate member %q", name)
		}
		seen[name] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if err := fn(name, v); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// rawClaims holds the claims authd uses, read by exact name and JSON type.
type rawClaims struct {
	iss, sub, jti, email, role, sid string
	exp, iat, nbf                   *time.Time
	aud                             []string
	hasIss                          bool
}

func (c *rawClaims) unmarshal(b []byte) error {
	var out rawClaims
	err := eachMember(b, func(name string, v json.RawMessage) error {
		switch name {
		case "iss":
			out.hasIss = true
			return stringMember(name, v, &out.iss)
		case "sub":
			return stringMember(name, v, &out.sub)
		case "jti":
			return stringMember(name, v, &out.jti)
		case "email":
			return stringMember(name, v, &out.email)
		case "role":
			return stringMember(name, v, &out.role)
		case "sid":
			return stringMember(name, v, &out.sid)
		case "exp":
			return dateMember(name, v, &out.exp)
		case "iat":
			return dateMember(name, v, &out.iat)
		case "nbf":
			return dateMember(name, v, &out.nbf)
		case "aud":
			return audienceMember(v, &out.aud)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	*c = out
	return nil
}

// check applies authd's rules at now: exp required and in the future, nbf (if
// any) reached, iss equal, aud containing audience, sub, sid, jti present and a
// valid email.
func (c *rawClaims) check(issuer, audience string, now time.Time) (Claims, error) {
	switch {
	case c.exp == nil:
		return Claims{}, errors.New("no exp")
	case !now.Before(*c.exp):
		return Claims{}, errors.New("expired")
	case c.nbf != nil && now.Before(*c.nbf):
		return Claims{}, errors.New("not valid yet")
	case !c.hasIss || subtle.ConstantTimeCompare([]byte(c.iss), []byte(issuer)) != 1:
		return Claims{}, errors.New("wrong iss")
	case len(c.aud) == 0 || len(c.aud) == 1 && c.aud[0] == "" || !slices.Contains(c.aud, audience):
		return Claims{}, errors.New("wrong aud")
	case c.sub == "" || c.sid == "" || c.jti == "":
		return Claims{}, errors.New("sub, sid or jti missing")
	case !validEmail(c.email):
		return Claims{}, errors.New("bad email")
	}
	out := Claims{
		Subject: c.sub, Email: normalEmail(c.email), Role: c.role, SessionID: c.sid, ID: c.jti,
		ExpiresAt: c.exp.UTC(),
	}
	if c.iat != nil {
		out.IssuedAt = c.iat.UTC()
	}
	return out, nil
}

func stringMember(name string, v json.RawMessage, dst *string) error {
	if len(v) == 0 || v[0] != '"' {
		return fmt.Errorf("%s is not a string", name)
	}
	return json.Unmarshal(v, dst)
}

// dateMember reads a NumericDate as golang-jwt does (seconds, fraction
// truncated), but only from a JSON number.
func dateMember(name string, v json.RawMessage, dst **time.Time) error {
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return fmt.Errorf("%s is not a number", name)
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	f, err := n.Float64()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	round, frac := math.Modf(f)
	t := time.Unix(int64(round), int64(frac*1e9)).Truncate(time.Second)
	*dst = &t
	return nil
}

func audienceMember(v json.RawMessage, dst *[]string) error {
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		*dst = []string{s}
		return nil
	}
	var list []json.RawMessage
	if len(v) == 0 || v[0] != '[' || json.Unmarshal(v, &list) != nil {
		return errors.New("aud is neither a string nor an array")
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		var s string
		if err := stringMember("aud", item, &s); err != nil {
			return err
		}
		out = append(out, s)
	}
	*dst = out
	return nil
}

// maxEmailLength is authd's limit on addresses.
const maxEmailLength = 254

func normalEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validEmail repeats authd's domain.ParseEmail.
func validEmail(s string) bool {
	s = normalEmail(s)
	if s == "" || len(s) > maxEmailLength {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	d := s[at+1:]
	return at > 0 && d != "" && !strings.HasPrefix(d, ".") && !strings.HasSuffix(d, ".") &&
		!strings.Contains(d, "..") && !strings.ContainsAny(s, " \t\r\n<>()[],;:\\\"")
}
