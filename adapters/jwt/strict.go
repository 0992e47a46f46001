package jwt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// A token is accepted in exactly one spelling. golang-jwt alone lets through
// several spellings of one token (base64 with non-zero trailing bits, line breaks
// that Go's decoder skips), numeric dates written as strings, claim names in
// another letter case (encoding/json matches struct fields case-insensitively)
// and duplicate members whose last value wins. Each of those lets two parties
// read one token differently, so Verify refuses them all.

// compactSerialization reports whether token is three base64url segments without
// padding or any other character (RFC 7515 §7.1, RFC 7515 §2 base64url).
func compactSerialization(token string) bool {
	dots := 0
	last := -1
	for i := 0; i < len(token); i++ {
		switch ch := token[i]; {
		case 'A' <= ch && ch <= 'Z', 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9', ch == '-', ch == '_':
		case ch == '.':
			if i == last+1 { // an empty header or payload
				return false
			}
			dots++
			last = i
		default:
			return false
		}
	}
	return dots == 2 && last < len(token)-1
}

var strictBase64 = base64.RawURLEncoding.Strict()

// checkHeader refuses a JOSE header with duplicate members or with crit: authd
// understands no extension, and RFC 7515 §4.1.11 makes such a token invalid.
func checkHeader(token string) error {
	seg, _, _ := strings.Cut(token, ".")
	b, err := strictBase64.DecodeString(seg)
	if err != nil {
		return err
	}
	return eachMember(b, func(name string, _ json.RawMessage) error {
		if name == "crit" {
			return errors.New("jwt: crit header")
		}
		return nil
	})
}

// eachMember calls fn for every member of the JSON object b, in order, with the
// exact (unescaped) name, and refuses duplicate names (RFC 7519 §4 allows either
// refusing or last-wins; last-wins lets two readers disagree).
func eachMember(b []byte, fn func(name string, v json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("jwt: not a JSON object")
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string) // an object's keys are strings
		if seen[name] {
			return fmt.Errorf("jwt: duplicate member %q", name)
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
	if _, err := dec.Token(); err != nil { // the closing brace
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("jwt: data after the JSON object")
	}
	return nil
}

// UnmarshalJSON reads the claims authd uses by their exact names, each only of
// its JSON type (a string; a number for exp, iat and nbf; a string or an array of
// strings for aud). null counts as the wrong type; other claims are ignored.
func (c *claims) UnmarshalJSON(b []byte) error {
	var out claims
	err := eachMember(b, func(name string, v json.RawMessage) error {
		switch name {
		case "iss":
			return stringClaim(name, v, &out.Issuer)
		case "sub":
			return stringClaim(name, v, &out.Subject)
		case "jti":
			return stringClaim(name, v, &out.ID)
		case "email":
			return stringClaim(name, v, &out.Email)
		case "role":
			return stringClaim(name, v, &out.Role)
		case "sid":
			return stringClaim(name, v, &out.SID)
		case "exp":
			return dateClaim(name, v, &out.ExpiresAt)
		case "iat":
			return dateClaim(name, v, &out.IssuedAt)
		case "nbf":
			return dateClaim(name, v, &out.NotBefore)
		case "aud":
			return audienceClaim(v, &out.Audience)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*c = out
	return nil
}

func stringClaim(name string, v json.RawMessage, dst *string) error {
	if len(v) == 0 || v[0] != '"' {
		return fmt.Errorf("jwt: claim %s is not a string", name)
	}
	return json.Unmarshal(v, dst)
}

func dateClaim(name string, v json.RawMessage, dst **gojwt.NumericDate) error {
	// A JSON number starts with a digit or a minus sign; the library's own decoder
	// would also take a string holding a number.
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return fmt.Errorf("jwt: claim %s is not a number", name)
	}
	d := new(gojwt.NumericDate)
	if err := d.UnmarshalJSON(v); err != nil {
		return fmt.Errorf("jwt: claim %s: %w", name, err)
	}
	*dst = d
	return nil
}

func audienceClaim(v json.RawMessage, dst *gojwt.ClaimStrings) error {
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		*dst = gojwt.ClaimStrings{s}
		return nil
	}
	var list []json.RawMessage
	if len(v) == 0 || v[0] != '[' || json.Unmarshal(v, &list) != nil {
		return errors.New("jwt: claim aud is neither a string nor an array")
	}
	out := make(gojwt.ClaimStrings, 0, len(list))
	for _, item := range list {
		var s string
		if err := stringClaim("aud", item, &s); err != nil {
			return err
		}
		out = append(out, s)
	}
	*dst = out
	return nil
}
