package verifier

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Errors returned by Verify, to be tested with errors.Is; the wrapped text says
// why (for logs), the sentinel says what to answer.
var (
	// ErrInvalidToken means the token is malformed, wrongly signed, of the wrong
	// typ, issuer or audience, expired, or signed by a key the JWKS does not list
	// (HTTP 401 invalid_token).
	ErrInvalidToken = errors.New("verifier: invalid token")
	// ErrRevoked means the token is valid but its session was revoked (HTTP 401
	// token_revoked); only returned with a Denylist configured.
	ErrRevoked = errors.New("verifier: token revoked")
	// ErrUnavailable means the JWKS or the denylist could not be asked, so the
	// token could be judged neither way (HTTP 503 dependency_unavailable).
	ErrUnavailable = errors.New("verifier: dependency unavailable")
)

// Claims are the verified claims of an authd access token.
type Claims struct {
	Subject   string    // sub: the user id
	Email     string    // email, lower-cased as authd stores it
	Role      string    // role
	SessionID string    // sid: the session, the unit of revocation
	ID        string    // jti: unique per token
	IssuedAt  time.Time // iat (zero when absent)
	ExpiresAt time.Time // exp
}

// Denylist says whether a session was revoked; MemcachedDenylist reads the one
// authd writes. An error must mean "cannot tell", never "not revoked".
type Denylist interface {
	Revoked(ctx context.Context, sessionID string, now time.Time) (bool, error)
}

// Config configures a Verifier; JWKSURL, Issuer and Audience are required.
type Config struct {
	JWKSURL  string   // e.g. https://auth.example.com/.well-known/jwks.json
	Issuer   string   // AUTH_JWT_ISSUER of authd
	Audience string   // AUTH_JWT_AUDIENCE of authd
	Denylist Denylist // nil: revoked tokens stay valid until exp
	// Cookie names a cookie the middleware reads the token from when no
	// Authorization header is sent ("" = header only). Cookies ride along on
	// cross-site requests: use it only with CSRF protection for unsafe methods.
	Cookie     string
	HTTPClient *http.Client     // nil: a client with a 5 s timeout
	Clock      func() time.Time // nil: time.Now
}

// Verifier verifies authd access tokens; it is safe for concurrent use.
type Verifier struct {
	issuer   string
	audience string
	denylist Denylist
	cookie   string
	clock    func() time.Time
	keys     *keyCache
}

// defaultHTTPTimeout bounds one JWKS fetch with the default client.
const defaultHTTPTimeout = 5 * time.Second

// New checks cfg and returns a Verifier; it fetches nothing yet (the first
// Verify does), so a service starts while authd is down.
func New(cfg Config) (*Verifier, error) {
	if cfg.JWKSURL == "" || cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("verifier: JWKSURL, Issuer and Audience are required")
	}
	if err := checkURL(cfg.JWKSURL); err != nil {
		return nil, err
	}
	if d, ok := cfg.Denylist.(interface{ init() error }); ok {
		if err := d.init(); err != nil {
			return nil, err
		}
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	return &Verifier{
		issuer: cfg.Issuer, audience: cfg.Audience, denylist: cfg.Denylist, cookie: cfg.Cookie, clock: clock,
		keys: newKeyCache(cfg.JWKSURL, client, clock),
	}, nil
}

// Verify returns the claims of token when authd would accept it now, else an
// error wrapping ErrInvalidToken, ErrRevoked or ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	now := v.clock()
	t, err := parseToken(token)
	if err != nil {
		return Claims{}, invalid(err.Error())
	}
	// Everything that needs no key is checked first, so a junk token never makes
	// the verifier fetch the JWKS.
	c, err := t.claims.check(v.issuer, v.audience, now)
	if err != nil {
		return Claims{}, invalid(err.Error())
	}
	key, err := v.keys.lookup(ctx, t.kid)
	if err != nil {
		return Claims{}, err
	}
	if !t.verify(key) {
		return Claims{}, invalid("bad signature")
	}
	if v.denylist != nil {
		revoked, err := v.denylist.Revoked(ctx, c.SessionID, v.clock())
		if err != nil {
			if errors.Is(err, ErrUnavailable) {
				return Claims{}, err
			}
			return Claims{}, fmt.Errorf("%w: denylist: %v", ErrUnavailable, err)
		}
		if revoked {
			return Claims{}, ErrRevoked
		}
	}
	return c, nil
}

func invalid(why string) error { return fmt.Errorf("%w: %s", ErrInvalidToken, why) }

type claimsKey struct{}

// NewContext returns ctx carrying c, as the middlewares do for their handlers.
func NewContext(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFrom returns the claims a middleware verified for this request.
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(Claims)
	return c, ok
}
