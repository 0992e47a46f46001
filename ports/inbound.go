package ports

import (
	"context"
	"time"

	"authd/domain"
)

// Client describes where a request comes from; it is shown in session lists.
type Client struct {
	UserAgent string
	IP        string
}

// SessionTokens is what a successful login hands to the client.
type SessionTokens struct {
	SessionID        domain.SessionID
	AccessToken      string
	AccessExpiresAt  time.Time
	RefreshToken     domain.Secret
	RefreshExpiresAt time.Time
	User             *domain.User
}

// Principal is the caller proven by a valid, unrevoked access token.
type Principal struct {
	UserID    domain.UserID
	SessionID domain.SessionID
	Email     domain.Email
	Role      domain.Role
	ExpiresAt time.Time
}

// RegisterInput is a sign-up request as the client sent it.
type RegisterInput struct {
	Email           string
	Password        string
	PasswordConfirm *string
	Profile         domain.Profile
	Role            string
	Client          Client
}

// RegisterResult is the new account and, when email verification is not
// required, its first session.
type RegisterResult struct {
	User    *domain.User
	Session *SessionTokens
}

// LoginInput is a login request.
type LoginInput struct {
	Email    string
	Password string
	Client   Client
}

// Registration signs users up.
type Registration interface {
	// Register creates the account and queues the verification mail. Errors:
	// validation_failed, email_taken.
	Register(ctx context.Context, in RegisterInput) (RegisterResult, error)
}

// EmailVerification proves that users control their email address.
type EmailVerification interface {
	// Verify redeems a verification token; invalid_verification_token otherwise.
	Verify(ctx context.Context, token domain.Secret) error
	// Resend queues a fresh verification mail when the account exists, is not yet
	// verified and not deactivated, voiding earlier tokens. Its answer never tells
	// whether any of that is the case; only a malformed email is an error.
	Resend(ctx context.Context, email string) error
}

// Login exchanges credentials for a session.
type Login interface {
	// Login errors: invalid_credentials, then (only after the password matched)
	// email_not_verified or account_deactivated.
	Login(ctx context.Context, in LoginInput) (SessionTokens, error)
}

// Authenticator turns a presented access token into the caller.
type Authenticator interface {
	// Authenticate errors: invalid_token, token_revoked.
	Authenticate(ctx context.Context, accessToken string) (Principal, error)
}

// Profile reads and edits the caller's own account.
type Profile interface {
	// Me returns the caller's account.
	Me(ctx context.Context, p Principal) (*domain.User, error)
	// Update applies patch; validation_failed names every bad field and changes nothing.
	Update(ctx context.Context, p Principal, patch domain.ProfilePatch) (*domain.User, error)
}
