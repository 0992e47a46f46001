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
	// IssuedAt is the core's clock when the tokens were minted: the access
	// token's iat, and the start of every lifetime the transport reports
	// (expiresIn, cookie Max-Age), so both agree with the token's exp.
	IssuedAt         time.Time
	SessionID        domain.SessionID
	AccessToken      string
	AccessExpiresAt  time.Time
	RefreshToken     domain.Secret
	RefreshExpiresAt time.Time
	User             *domain.User
	// MFA, when set, means the password was right but the account needs a
	// second factor: no session was started and the other fields are empty.
	MFA *MFAChallenge
}

// Principal is the caller proven by a valid, unrevoked access token.
type Principal struct {
	UserID    domain.UserID
	SessionID domain.SessionID
	Email     domain.Email
	Role      domain.Role
	ExpiresAt time.Time
	// AccountVersion is the version of the account (ports.AccountVersions)
	// read with the revocation check: "" when none is known.
	AccountVersion string
}

// RegisterInput is a sign-up request as the client sent it.
type RegisterInput struct {
	Email           string
	Password        domain.Secret
	PasswordConfirm *domain.Secret
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
	Password domain.Secret
	Client   Client
}

// Registration signs users up.
type Registration interface {
	// Register creates the account and queues the verification mail. Errors:
	// validation_failed, rate_limited (too many mail requests from the client IP), email_taken.
	Register(ctx context.Context, in RegisterInput) (RegisterResult, error)
}

// EmailVerification proves that users control their email address.
type EmailVerification interface {
	// Verify redeems a verification token; invalid_verification_token otherwise,
	// rate_limited when the client IP made too many failed guesses.
	Verify(ctx context.Context, token domain.Secret, client Client) error
	// Resend queues a fresh verification mail when the account exists, is not yet
	// verified and not deactivated, voiding earlier tokens. Its answer never tells
	// whether any of that is the case; only a malformed email is an error, and
	// rate_limited when the client IP sent too many mail requests.
	Resend(ctx context.Context, email string, client Client) error
}

// Login exchanges credentials for a session.
type Login interface {
	// Login errors: rate_limited (the account or the client IP failed too often,
	// checked first), invalid_credentials, then (only after the password matched)
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

// LogoutScope says which sessions a logout ends.
type LogoutScope string

// The logout scopes of the contract.
const (
	LogoutLocal  LogoutScope = "local"
	LogoutGlobal LogoutScope = "global"
)

// LogoutInput proves the caller by a live access token (Principal) or, when it
// has none, by its refresh token.
type LogoutInput struct {
	Principal    *Principal
	RefreshToken domain.Secret
	Scope        LogoutScope
}

// ChangePasswordInput is a password change request.
type ChangePasswordInput struct {
	CurrentPassword    domain.Secret
	NewPassword        domain.Secret
	NewPasswordConfirm *domain.Secret
	Client             Client
}

// SessionInfo is one live session as its owner sees it.
type SessionInfo struct {
	domain.Session
	Current bool
}

// Refresh exchanges a refresh token for a new one and a new access token.
type Refresh interface {
	// Refresh errors: invalid_refresh_token, refresh_token_rotated (inside the reuse
	// grace), refresh_token_reused (after it; the session is then revoked).
	Refresh(ctx context.Context, token domain.Secret, client Client) (SessionTokens, error)
}

// Logout ends sessions.
type Logout interface {
	// Logout errors: unauthenticated (no proof), invalid_refresh_token.
	Logout(ctx context.Context, in LogoutInput) error
}

// PasswordChange replaces a known password.
type PasswordChange interface {
	// ChangePassword revokes every session of the user and returns a new one.
	// Errors: validation_failed, invalid_current_password.
	ChangePassword(ctx context.Context, p Principal, in ChangePasswordInput) (SessionTokens, error)
}

// Deactivation closes the caller's own account.
type Deactivation interface {
	// Deactivate keeps the account but marks it deactivated and revokes everything.
	// Errors: invalid_current_password.
	Deactivate(ctx context.Context, p Principal, password domain.Secret) error
}

// Sessions lists and ends the caller's sessions.
type Sessions interface {
	// List returns the live sessions of the caller, newest first.
	List(ctx context.Context, p Principal) ([]SessionInfo, error)
	// Revoke ends one of the caller's live sessions; not_found for any other id.
	Revoke(ctx context.Context, p Principal, id domain.SessionID) error
}

// ResetMethod says how a reset secret reaches the user.
type ResetMethod string

// The reset methods of the contract.
const (
	ResetByLink ResetMethod = "link"
	ResetByOTP  ResetMethod = "otp"
)

// ResetInput redeems either a link token or an email with its code.
type ResetInput struct {
	Token              domain.Secret
	Email              string
	OTP                domain.Secret
	NewPassword        domain.Secret
	NewPasswordConfirm *domain.Secret
	Client             Client
}

// PasswordReset lets users who forgot their password prove control of their
// mailbox and set a new one.
type PasswordReset interface {
	// Forgot queues a reset mail when the account exists and is not deactivated.
	// Its answer never tells whether that is so; only malformed input is an
	// error, and rate_limited when the client IP sent too many mail requests.
	Forgot(ctx context.Context, email string, method ResetMethod, client Client) error
	// Reset sets the new password, revokes every session, voids every reset
	// secret and clears the account's failed logins. Errors: validation_failed,
	// invalid_reset_token, invalid_code, rate_limited (too many failed guesses
	// from the client IP).
	Reset(ctx context.Context, in ResetInput) error
}

// MailDispatcher delivers the outbox through the Mailer, with retries, until
// ctx ends; cmd runs one beside the HTTP server.
type MailDispatcher interface {
	Run(ctx context.Context)
}

// Janitor deletes what has outlived its use (ended sessions, expired tokens,
// old attempts) every so often until ctx ends.
type Janitor interface {
	Run(ctx context.Context)
}

// RevocationSeeder fills the denylist from the revocations the store recorded,
// so a fresh process (or a flushed cache) refuses every revoked session.
type RevocationSeeder interface {
	Seed(ctx context.Context) error
}

// EmailChangeInput asks to move the caller's account to a new address.
type EmailChangeInput struct {
	NewEmail string
	Password domain.Secret
	Client   Client
}

// EmailChange moves an account to a new address once the new address confirms.
type EmailChange interface {
	// Request mails a confirmation link to the new address and a notice to the
	// old one; nothing changes yet. Errors: validation_failed (bad or same
	// address), invalid_current_password, email_taken, rate_limited.
	Request(ctx context.Context, p Principal, in EmailChangeInput) error
	// Confirm redeems the link: the address is replaced and verified and every
	// session revoked. Errors: invalid_verification_token, email_taken (the
	// address was taken meanwhile: nothing changes), rate_limited.
	Confirm(ctx context.Context, token domain.Secret, client Client) error
}

// EventPage is one page of an account's history, newest first; Next is the id
// to continue before, "" on the last page.
type EventPage struct {
	Events []domain.SecurityEvent
	Next   string
}

// AccountHistory shows users what happened to their own account.
type AccountHistory interface {
	// Mine returns up to limit of the caller's events older than the event with
	// id before ("" for the newest).
	Mine(ctx context.Context, p Principal, before string, limit int) (EventPage, error)
}

// UserPage is one page of the admin list, oldest first; Next is the id to
// continue after, "" on the last page.
type UserPage struct {
	Users []domain.User
	Next  domain.UserID
}

// AdminPatch is what an admin may change on an account.
type AdminPatch struct {
	Role    *string
	Profile domain.ProfilePatch
}

// Administration is the admin API. Every call first reads the caller's current
// role from the store: forbidden unless it is an admin role (a demoted admin is
// refused at once). Actions on other accounts are recorded as events with the
// caller as actor.
type Administration interface {
	// ListUsers returns up to limit users matching f after the id after.
	ListUsers(ctx context.Context, p Principal, f UserFilter, after domain.UserID, limit int) (UserPage, error)
	// User returns one account; not_found.
	User(ctx context.Context, p Principal, id domain.UserID) (*domain.User, error)
	// UpdateUser changes role and profile; a role change revokes every session.
	// Errors: not_found, validation_failed (unknown role), conflict (the caller's
	// own admin role, or the last active admin).
	UpdateUser(ctx context.Context, p Principal, id domain.UserID, patch AdminPatch) (*domain.User, error)
	// Deactivate closes an account as self-deactivation does; conflict for the
	// caller's own account or the last active admin.
	Deactivate(ctx context.Context, p Principal, id domain.UserID) error
	// Reactivate opens a closed account again; old sessions stay revoked.
	Reactivate(ctx context.Context, p Principal, id domain.UserID) error
	// RevokeSessions ends every session of the account.
	RevokeSessions(ctx context.Context, p Principal, id domain.UserID) error
	// Events returns a page of the account's history, actors included.
	Events(ctx context.Context, p Principal, id domain.UserID, before string, limit int) (EventPage, error)
}

// NewAccount is an account an operator creates from the command line.
type NewAccount struct {
	Email string
	Role  string
	// Password is the account's password; empty with SendReset.
	Password domain.Secret
	// SendReset makes a reset link instead of taking a password.
	SendReset bool
}

// Operators are the account commands of the command line (the first admin).
type Operators interface {
	// CreateUser creates an active account with a verified email; with
	// SendReset it returns a reset link to give the owner. Errors:
	// validation_failed, email_taken.
	CreateUser(ctx context.Context, a NewAccount) (*domain.User, string, error)
	// SetRole gives the account with email the role and revokes its sessions.
	SetRole(ctx context.Context, email, role string) (*domain.User, error)
}
