package jwt

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/wire"

	"authd/domain"
	"authd/ports"
)

// ProviderSet lets wire hand one issuer to the core (TokenIssuer, behind the
// verified-token cache) and to the JWKS endpoint (KeySet), so both always use
// the same key.
var ProviderSet = wire.NewSet(New, NewCachedVerifier,
	wire.Bind(new(ports.TokenIssuer), new(*CachedVerifier)),
	wire.Bind(new(ports.KeySet), new(*Issuer)))

// The algorithms authd signs with, named as in the JWT alg header so configuration
// and tokens use the same words.
const (
	AlgEdDSA = "EdDSA"
	AlgHS256 = "HS256"
)

// tokenType is the typ header of access tokens (RFC 9068).
const tokenType = "at+jwt"

// Config chooses the algorithm and key and names issuer and audience, so several
// instances sharing a key issue interchangeable tokens.
type Config struct {
	Alg            string
	PrivateKeyFile string        // EdDSA: PKCS#8 PEM; generated when absent
	Secret         domain.Secret // HS256: at least 32 bytes
	Issuer         string
	Audience       string
}

// Issuer signs and verifies access tokens and publishes the public keys; with
// EdDSA its keys come from a ports.SigningKeys (the key ring, or the one key of
// a configured file), with HS256 from the secret. It is safe for concurrent use.
type Issuer struct {
	alg      string
	method   gojwt.SigningMethod
	keys     ports.SigningKeys // EdDSA
	secret   []byte            // HS256
	kid      string            // HS256, or the configured EdDSA key file's
	issuer   string
	audience string
}

var (
	_ ports.TokenIssuer = (*Issuer)(nil)
	_ ports.KeySet      = (*Issuer)(nil)
)

// claims is the token payload.
type claims struct {
	Email string `json:"email"`
	Role  string `json:"role"`
	SID   string `json:"sid"`
	gojwt.RegisteredClaims
}

// New chooses the keys: for EdDSA the configured key file when one is named
// (generated when absent, as before the key ring), else ring; for HS256 the
// secret. It refuses a configuration that would sign with a weak or unknown key.
func New(cfg Config, ring ports.SigningKeys) (*Issuer, error) {
	// An empty issuer would switch golang-jwt's iss check off; both are required.
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("jwt: issuer and audience must not be empty")
	}
	iss := &Issuer{alg: cfg.Alg, issuer: cfg.Issuer, audience: cfg.Audience}
	switch cfg.Alg {
	case AlgEdDSA:
		iss.method, iss.keys = gojwt.SigningMethodEdDSA, ring
		if cfg.PrivateKeyFile != "" {
			priv, err := loadOrCreateEd25519(cfg.PrivateKeyFile)
			if err != nil {
				return nil, err
			}
			static := NewStaticKey(priv)
			iss.keys, iss.kid = static, static.kid
		}
		if iss.keys == nil {
			return nil, errors.New("jwt: no signing keys: neither a key file nor a key ring")
		}
	case AlgHS256:
		if len(cfg.Secret) < 32 {
			return nil, errors.New("jwt: the HS256 secret must be at least 32 bytes")
		}
		secret := []byte(cfg.Secret.Reveal())
		sum := sha256.Sum256(secret)
		iss.method, iss.secret = gojwt.SigningMethodHS256, secret
		iss.kid = base64.RawURLEncoding.EncodeToString(sum[:8])
	default:
		return nil, fmt.Errorf("jwt: unsupported algorithm %q (want %s or %s)", cfg.Alg, AlgEdDSA, AlgHS256)
	}
	return iss, nil
}

// StaticKey is a ports.SigningKeys of one Ed25519 key that never changes (a
// configured key file).
type StaticKey struct {
	kid  string
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

var _ ports.SigningKeys = (*StaticKey)(nil)

// NewStaticKey returns the key source of priv; its kid is the RFC 7638 thumbprint.
func NewStaticKey(priv ed25519.PrivateKey) *StaticKey {
	pub := priv.Public().(ed25519.PublicKey)
	return &StaticKey{kid: domain.Ed25519KeyID(pub), priv: priv, pub: pub}
}

// SigningKey returns the one key.
func (s *StaticKey) SigningKey() (string, ed25519.PrivateKey, error) { return s.kid, s.priv, nil }

// VerificationKey returns the one key when kid is its kid.
func (s *StaticKey) VerificationKey(kid string) (ed25519.PublicKey, bool) {
	return s.pub, kid == s.kid
}

// PublishedKeys returns the one key.
func (s *StaticKey) PublishedKeys() []ports.PublicKey {
	return []ports.PublicKey{{Kid: s.kid, Key: s.pub}}
}

// ReadEd25519 reads a PKCS#8 PEM Ed25519 private key (an earlier version's
// key file, to import into the key ring); it never creates one.
func ReadEd25519(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseEd25519(path, b)
}

// Issue signs an access token for c with a fresh 128-bit jti, so every token is
// distinguishable in logs and denylists.
func (i *Issuer) Issue(c ports.AccessClaims) (string, error) {
	if c.ExpiresAt.IsZero() {
		return "", errors.New("jwt: claims without expiry")
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", fmt.Errorf("jwt: jti: %w", err)
	}
	rc := gojwt.RegisteredClaims{
		Issuer:    i.issuer,
		Subject:   string(c.UserID),
		Audience:  gojwt.ClaimStrings{i.audience},
		ExpiresAt: gojwt.NewNumericDate(c.ExpiresAt),
		ID:        base64.RawURLEncoding.EncodeToString(jti),
	}
	if !c.IssuedAt.IsZero() {
		rc.IssuedAt = gojwt.NewNumericDate(c.IssuedAt)
	}
	tok := gojwt.NewWithClaims(i.method, claims{
		Email:            c.Email.String(),
		Role:             string(c.Role),
		SID:              string(c.SessionID),
		RegisteredClaims: rc,
	})
	tok.Header["typ"] = tokenType
	var key any = i.secret
	tok.Header["kid"] = i.kid
	if i.keys != nil {
		kid, priv, err := i.keys.SigningKey()
		if err != nil {
			return "", fmt.Errorf("jwt: sign: %w", err)
		}
		tok.Header["kid"], key = kid, priv
	}
	s, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("jwt: sign: %w", err)
	}
	return s, nil
}

// Verify accepts only tokens of exactly our algorithm, key, typ, issuer and
// audience, unexpired at now, spelled canonically and with claims of their JSON
// types (strict.go); any failure is domain.ErrInvalidToken, so callers cannot
// tell (or leak) why.
func (i *Issuer) Verify(token string, now time.Time) (ports.AccessClaims, error) {
	if !compactSerialization(token) || checkHeader(token) != nil {
		return ports.AccessClaims{}, domain.ErrInvalidToken
	}
	var c claims
	parser := gojwt.NewParser(
		gojwt.WithStrictDecoding(), // trailing bits must be zero; padding stays refused (no WithPaddingAllowed)
		gojwt.WithValidMethods([]string{i.alg}),
		gojwt.WithIssuer(i.issuer),
		gojwt.WithAudience(i.audience),
		gojwt.WithExpirationRequired(),
		gojwt.WithTimeFunc(func() time.Time { return now }),
	)
	_, err := parser.ParseWithClaims(token, &c, func(t *gojwt.Token) (any, error) {
		// Check the method's type as well as its name: the key we return must
		// only ever reach the verifier it was made for (no alg confusion).
		switch t.Method.(type) {
		case *gojwt.SigningMethodEd25519:
			if i.alg != AlgEdDSA {
				return nil, errors.New("unexpected algorithm")
			}
		case *gojwt.SigningMethodHMAC:
			if i.alg != AlgHS256 || t.Method.Alg() != AlgHS256 {
				return nil, errors.New("unexpected algorithm")
			}
		default:
			return nil, errors.New("unexpected algorithm")
		}
		if typ, _ := t.Header["typ"].(string); !strings.EqualFold(typ, tokenType) && !strings.EqualFold(typ, "application/"+tokenType) {
			return nil, errors.New("unexpected typ")
		}
		kid, _ := t.Header["kid"].(string)
		if i.keys != nil {
			pub, ok := i.keys.VerificationKey(kid)
			if !ok || kid == "" {
				return nil, errors.New("unknown kid")
			}
			return pub, nil
		}
		if kid != i.kid {
			return nil, errors.New("unknown kid")
		}
		return i.secret, nil
	})
	if err != nil || c.Subject == "" || c.SID == "" || c.ID == "" {
		return ports.AccessClaims{}, domain.ErrInvalidToken
	}
	email, err := domain.ParseEmail(c.Email)
	if err != nil {
		return ports.AccessClaims{}, domain.ErrInvalidToken
	}
	out := ports.AccessClaims{
		UserID:    domain.UserID(c.Subject),
		Email:     email,
		Role:      domain.Role(c.Role),
		SessionID: domain.SessionID(c.SID),
		ID:        c.ID,
		ExpiresAt: c.ExpiresAt.Time.UTC(),
	}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time.UTC()
	}
	return out, nil
}

// JWKS returns the public key set so other services can verify tokens offline;
// it is empty for HS256, whose key is secret.
func (i *Issuer) JWKS() []byte {
	type jwk struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Kid string `json:"kid"`
		Alg string `json:"alg"`
		Use string `json:"use"`
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	if i.keys != nil {
		for _, k := range i.keys.PublishedKeys() {
			set.Keys = append(set.Keys, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.Key), Kid: k.Kid, Alg: AlgEdDSA, Use: "sig"})
		}
	}
	b, _ := json.Marshal(set)
	return b
}

// loadOrCreateEd25519 reads the PKCS#8 PEM key at path, generating and storing
// one (0600, atomically) on first start so restarts keep issued tokens valid.
func loadOrCreateEd25519(path string) (ed25519.PrivateKey, error) {
	if path == "" {
		return nil, errors.New("jwt: no private key file configured")
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := createEd25519(path); err != nil {
			return nil, fmt.Errorf("jwt: create key %s: %w", path, err)
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("jwt: read key %s: %w", path, err)
	}
	return parseEd25519(path, b)
}

// parseEd25519 parses the PKCS#8 PEM Ed25519 key b read from path.
func parseEd25519(path string, b []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("jwt: %s: not a PKCS#8 PEM private key", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("jwt: %s: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("jwt: %s: not an Ed25519 key", path)
	}
	return priv, nil
}

func createEd25519(path string) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".jwt-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Publish atomically. Link, unlike rename, never replaces an existing file:
	// when two instances start at once on a shared dir, the first key wins and
	// both read it back. Filesystems without hard links fall back to rename.
	err = os.Link(tmp.Name(), path)
	switch {
	case err == nil, errors.Is(err, os.ErrExist):
		return nil
	default:
		if _, statErr := os.Stat(path); statErr == nil {
			return nil
		}
		return os.Rename(tmp.Name(), path)
	}
}
