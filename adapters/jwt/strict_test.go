package jwt

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"authd/domain"
)

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// signSegments signs the header and payload segments exactly as given (whatever
// their spelling), so a token refused for its spelling is refused for that alone.
func signSegments(t *testing.T, m gojwt.SigningMethod, key any, header, payload string) string {
	t.Helper()
	sig, err := m.Sign(header+"."+payload, key)
	if err != nil {
		t.Fatal(err)
	}
	return header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// spare returns JSON text (an object) widened with spaces before its closing
// brace until its base64url form has spare bits in its last character, that is
// a length that is not a multiple of 4.
func spare(jsonText string) string {
	for len(enc(jsonText))%4 != 2 {
		jsonText = jsonText[:len(jsonText)-1] + " }"
	}
	return jsonText
}

// setLowBit changes the last character of a base64url segment so that it carries
// a non-zero trailing bit: lenient decoding yields the same bytes, strict refuses.
func setLowBit(t *testing.T, seg string) string {
	t.Helper()
	if len(seg)%4 == 0 {
		t.Fatalf("segment %q has no trailing bits", seg)
	}
	i := strings.IndexByte(b64url, seg[len(seg)-1])
	out := seg[:len(seg)-1] + string(b64url[i|1])
	lenient, err := base64.RawURLEncoding.DecodeString(out)
	orig, _ := base64.RawURLEncoding.DecodeString(seg)
	if err != nil || string(lenient) != string(orig) || out == seg {
		t.Fatalf("%q is not a non-canonical spelling of %q", out, seg)
	}
	return out
}

func pad(seg string) string {
	if len(seg)%4 == 0 {
		panic("segment needs no padding: " + seg)
	}
	return seg + strings.Repeat("=", 4-len(seg)%4)
}

// segments splits a token into its three segments.
func segments(tok string) (h, p, s string) {
	parts := strings.Split(tok, ".")
	return parts[0], parts[1], parts[2]
}

// libraryAccepts reports whether golang-jwt on its own (its default decoding or
// with padding allowed, reading the registered claims only) would take tok: the control that shows
// a refusal comes from authd's stricter rules and not from a broken signature.
func libraryAccepts(tok string, alg string, key any) bool {
	for _, spelling := range [][]gojwt.ParserOption{{}, {gojwt.WithPaddingAllowed()}} {
		_, err := gojwt.NewParser(append(spelling,
			gojwt.WithValidMethods([]string{alg}),
			gojwt.WithIssuer("authd"), gojwt.WithAudience("authd"), gojwt.WithExpirationRequired(),
			gojwt.WithTimeFunc(func() time.Time { return now }),
		)...).ParseWithClaims(tok, &gojwt.RegisteredClaims{}, func(*gojwt.Token) (any, error) { return key, nil })
		if err == nil {
			return true
		}
	}
	return false
}

func TestVerifyIsStrictAboutSpellingAndTypes(t *testing.T) {
	path := keyPath(t.TempDir())
	ed := newEd(t, path)
	priv := readKey(t, path)
	pub := priv.Public().(ed25519.PublicKey)
	hs := newHS(t, hsSecret)
	exp, iat := now.Add(time.Minute).Unix(), now.Unix()

	edHeader := fmt.Sprintf(`{"alg":"EdDSA","kid":%q,"typ":"at+jwt"}`, ed.kid)
	// payload builds a claims set as JSON text; members replace or add to the valid ones.
	payload := func(members ...string) string {
		valid := []string{`"iss":"authd"`, `"aud":"authd"`, `"sub":"u1"`, `"sid":"s1"`, `"jti":"j1"`,
			`"email":"jane@example.com"`, `"role":"customer"`, fmt.Sprintf(`"iat":%d`, iat), fmt.Sprintf(`"exp":%d`, exp)}
		for _, m := range members {
			name := m[:strings.IndexByte(m[1:], '"')+2]
			replaced := false
			for i, v := range valid {
				if strings.HasPrefix(v, name+":") {
					valid[i], replaced = m, true
				}
			}
			if !replaced {
				valid = append(valid, m)
			}
		}
		return "{" + strings.Join(valid, ",") + "}"
	}
	without := func(name string) string {
		return strings.Replace(payload(), `"`+name+`":`, `"x-removed-`+name+`":`, 1)
	}
	edRaw := func(header, claims string) string {
		return signSegments(t, gojwt.SigningMethodEdDSA, priv, enc(header), enc(claims))
	}
	good := edRaw(edHeader, payload())
	goodH, goodP, goodS := segments(good)
	hsGood := issue(t, hs)
	hsH, hsP, hsS := segments(hsGood)

	// Non-canonical header and payload segments, signed over exactly those bytes.
	spareHeader, sparePayload := enc(spare(edHeader)), enc(spare(payload()))

	tests := []struct {
		name           string
		i              *Issuer
		token          string
		libraryAccepts bool // golang-jwt alone would take it (the control)
	}{
		// Spelling: the control for each is the same token spelled canonically.
		{"padding on the signature", ed, goodH + "." + goodP + "." + pad(goodS), true},
		{"padding on the payload, signed as padded", ed, signSegments(t, gojwt.SigningMethodEdDSA, priv, goodH, pad(sparePayload)), true},
		{"padding on the header, signed as padded", ed, signSegments(t, gojwt.SigningMethodEdDSA, priv, pad(spareHeader), goodP), true},
		{"a signature whose last character has a trailing bit set", ed, goodH + "." + goodP + "." + setLowBit(t, goodS), true},
		{"a payload whose last character has a trailing bit set, signed so", ed, signSegments(t, gojwt.SigningMethodEdDSA, priv, goodH, setLowBit(t, sparePayload)), true},
		{"a header whose last character has a trailing bit set, signed so", ed, signSegments(t, gojwt.SigningMethodEdDSA, priv, setLowBit(t, spareHeader), goodP), true},
		{"an HS256 signature whose last character has a trailing bit set", hs, hsH + "." + hsP + "." + setLowBit(t, hsS), true},
		{"padding on an HS256 signature", hs, hsH + "." + hsP + "." + pad(hsS), true},
		{"a line break inside the payload, signed so", ed, signSegments(t, gojwt.SigningMethodEdDSA, priv, goodH, goodP[:10]+"\n"+goodP[10:]), true},
		// "~~~" encodes to "fn5-": the payload surely has a character the two alphabets spell apart.
		{"the standard base64 alphabet", ed, strings.NewReplacer("-", "+", "_", "/").Replace(
			edRaw(edHeader, payload(`"jti":"~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~"`))), false},
		{"a fourth segment", ed, good + ".", false},
		{"an empty payload segment", ed, goodH + ".." + goodS, false},

		// Claim types, each in a token signed correctly.
		{"exp as a string", ed, edRaw(edHeader, payload(fmt.Sprintf(`"exp":"%d"`, exp))), true},
		{"iat as a string", ed, edRaw(edHeader, payload(fmt.Sprintf(`"iat":"%d"`, iat))), true},
		{"nbf as a string", ed, edRaw(edHeader, payload(fmt.Sprintf(`"nbf":"%d"`, iat))), true},
		{"exp as null", ed, edRaw(edHeader, payload(`"exp":null`)), false},
		{"exp as a boolean", ed, edRaw(edHeader, payload(`"exp":true`)), false},
		{"exp beyond any date", ed, edRaw(edHeader, payload(`"exp":1e400`)), false},
		{"sub as a number", ed, edRaw(edHeader, payload(`"sub":42`)), false},
		{"sub as null", ed, edRaw(edHeader, payload(`"sub":null`)), true},
		{"sid as a number", ed, edRaw(edHeader, payload(`"sid":7`)), true},
		{"sid as an array", ed, edRaw(edHeader, payload(`"sid":["s1"]`)), true},
		{"role as a number", ed, edRaw(edHeader, payload(`"role":1`)), true},
		{"role as null", ed, edRaw(edHeader, payload(`"role":null`)), true},
		{"role as an object", ed, edRaw(edHeader, payload(`"role":{"name":"admin"}`)), true},
		{"email as an array", ed, edRaw(edHeader, payload(`"email":["jane@example.com"]`)), true},
		{"jti as a number", ed, edRaw(edHeader, payload(`"jti":123`)), false},
		{"iss as an array", ed, edRaw(edHeader, payload(`"iss":["authd"]`)), false},
		{"aud as a number", ed, edRaw(edHeader, payload(`"aud":1`)), false},
		{"aud as an object", ed, edRaw(edHeader, payload(`"aud":{"authd":true}`)), false},
		{"aud as a list with a number", ed, edRaw(edHeader, payload(`"aud":["authd",1]`)), false},
		{"aud as null", ed, edRaw(edHeader, payload(`"aud":null`)), false},

		// One claims set, one reading.
		{"exp spelled in another case", ed, edRaw(edHeader, strings.Replace(payload(), `"exp":`, `"EXP":`, 1)), true},
		{"sid only in another case", ed, edRaw(edHeader, strings.Replace(payload(), `"sid":`, `"SID":`, 1)), true},
		{"a duplicate sub", ed, edRaw(edHeader, payload()[:len(payload())-1]+`,"sub":"u2"}`), true},
		{"a duplicate exp, the last one later", ed, edRaw(edHeader, payload()[:len(payload())-1]+fmt.Sprintf(`,"exp":%d}`, exp+3600)), true},
		{"a payload that is an array", ed, edRaw(edHeader, `[`+payload()+`]`), false},
		{"a duplicate alg in the header", ed, edRaw(fmt.Sprintf(`{"alg":"none","alg":"EdDSA","kid":%q,"typ":"at+jwt"}`, ed.kid), payload()), true},
		{"a crit header", ed, edRaw(fmt.Sprintf(`{"alg":"EdDSA","kid":%q,"typ":"at+jwt","crit":["exp"]}`, ed.kid), payload()), true},
		{"a missing sub, named only in another case", ed, edRaw(edHeader, strings.Replace(without("sub"), "x-removed-sub", "Sub", 1)), true},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name+" with invalid_token", func(t *testing.T) {
			if _, err := tt.i.Verify(tt.token, now); !errors.Is(err, domain.ErrInvalidToken) {
				t.Fatalf("got %v for %s", err, tt.token)
			}
			alg, key := tt.i.alg, any(pub)
			if tt.i == hs {
				key = []byte(hsSecret)
			}
			if got := libraryAccepts(tt.token, alg, key); got != tt.libraryAccepts {
				t.Fatalf("control: golang-jwt alone accepts = %v, want %v", got, tt.libraryAccepts)
			}
		})
	}

	accepted := []struct {
		name  string
		token string
	}{
		{"the hand-made token (the control)", good},
		{"a token widened with spaces in its JSON", edRaw(spare(edHeader), spare(payload()))},
		{"spaces around names and values", edRaw(edHeader, strings.ReplaceAll(payload(), `":`, `" : `))},
		{"a fractional exp", edRaw(edHeader, payload(fmt.Sprintf(`"exp":%d.5`, exp)))},
		{"aud as a list", edRaw(edHeader, payload(`"aud":["other","authd"]`))},
		{"claims authd does not read, of any type", edRaw(edHeader, payload(`"x":null`, `"Role":5`, `"scope":["a"]`))},
		{"escaped characters in names and values", edRaw(edHeader, strings.Replace(payload(), `"sid":"s1"`, `"\u0073id":"s\u0031"`, 1))},
	}
	for _, tt := range accepted {
		t.Run("accepts "+tt.name, func(t *testing.T) {
			c, err := ed.Verify(tt.token, now)
			if err != nil {
				t.Fatal(err)
			}
			if c.UserID != "u1" || c.SessionID != "s1" || c.ID != "j1" || c.Role != "customer" || c.Email.String() != "jane@example.com" {
				t.Fatalf("claims %+v", c)
			}
		})
	}
}
