package application

import (
	"context"

	"authd/domain"
	"authd/ports"
)

// Authenticator turns a presented access token into the calling principal.
type Authenticator struct {
	tokens      ports.TokenIssuer
	revocations *Revocations
	clock       ports.Clock
}

var _ ports.Authenticator = (*Authenticator)(nil)

// NewAuthenticator builds the access-token check used by every protected route.
func NewAuthenticator(tokens ports.TokenIssuer, revocations *Revocations, clock ports.Clock) *Authenticator {
	return &Authenticator{tokens: tokens, revocations: revocations, clock: clock}
}

// Authenticate verifies the token and asks the denylist whether its session
// was revoked; see ports.Authenticator.
func (a *Authenticator) Authenticate(ctx context.Context, accessToken string) (ports.Principal, error) {
	c, err := a.tokens.Verify(accessToken, a.clock.Now())
	if err != nil {
		return ports.Principal{}, err
	}
	revoked, version, err := a.revocations.IsRevoked(ctx, c.SessionID, c.UserID)
	if err != nil {
		return ports.Principal{}, err
	}
	if revoked {
		return ports.Principal{}, domain.ErrTokenRevoked
	}
	return ports.Principal{UserID: c.UserID, SessionID: c.SessionID, Email: c.Email, Role: c.Role, ExpiresAt: c.ExpiresAt,
		AccountVersion: version}, nil
}
