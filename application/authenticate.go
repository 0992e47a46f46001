package application

import (
	"context"

	"authd/ports"
)

// Authenticator turns a presented access token into the calling principal.
type Authenticator struct {
	tokens ports.TokenIssuer
	clock  ports.Clock
}

var _ ports.Authenticator = (*Authenticator)(nil)

// NewAuthenticator builds the access-token check used by every protected route.
func NewAuthenticator(tokens ports.TokenIssuer, clock ports.Clock) *Authenticator {
	return &Authenticator{tokens: tokens, clock: clock}
}

// Authenticate verifies the token; see ports.Authenticator.
func (a *Authenticator) Authenticate(ctx context.Context, accessToken string) (ports.Principal, error) {
	c, err := a.tokens.Verify(accessToken, a.clock.Now())
	if err != nil {
		return ports.Principal{}, err
	}
	return ports.Principal{UserID: c.UserID, SessionID: c.SessionID, Email: c.Email, Role: c.Role, ExpiresAt: c.ExpiresAt}, nil
}
