package ports

import (
	"context"
	"time"

	"authd/domain"
)

// Transactor runs fn in one storage transaction. Repositories called with the
// context that fn receives take part in it; a nested call joins the outer
// transaction. fn's error rolls everything back and is returned as is. A store
// may run fn again after a deadlock, so fn must have no effect outside the store.
type Transactor interface {
	WithinTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// UserRepository stores accounts. Every method returns domain.ErrUnavailable
// (wrapped) when the store cannot be reached in time.
type UserRepository interface {
	// Create stores a new user; domain.ErrEmailTaken when the email is in use.
	Create(ctx context.Context, u *domain.User) error
	// ByID returns domain.ErrUserNotFound.
	ByID(ctx context.Context, id domain.UserID) (*domain.User, error)
	// ByEmail returns domain.ErrUserNotFound.
	ByEmail(ctx context.Context, e domain.Email) (*domain.User, error)
	// Update loads the user, lets fn change it and saves it in one transaction
	// (UpdatedAt is fn's business); fn's error aborts the update and is returned.
	// domain.ErrUserNotFound when there is no such user; domain.ErrEmailTaken
	// when fn gave it an email another account has.
	Update(ctx context.Context, id domain.UserID, fn func(*domain.User) error) error
	// RecordLogin notes that the user logged in at at.
	RecordLogin(ctx context.Context, id domain.UserID, at time.Time) error
	// List returns up to limit users that match f and whose id sorts after
	// after ("" for the first page), oldest (smallest id) first.
	List(ctx context.Context, f UserFilter, after domain.UserID, limit int) ([]domain.User, error)
	// LockActiveWithRoles returns the ids of the active (not deactivated) users
	// holding one of roles and, inside a transaction, keeps them locked until it
	// ends, so that changes that must leave one of them (the last admin) apply
	// one after the other.
	LockActiveWithRoles(ctx context.Context, roles []domain.Role) ([]domain.UserID, error)
}

// UserStatus is a filter of the admin list.
type UserStatus string

// The statuses of the admin list: active (verified, not deactivated),
// unverified (not deactivated), deactivated.
const (
	StatusActive      UserStatus = "active"
	StatusUnverified  UserStatus = "unverified"
	StatusDeactivated UserStatus = "deactivated"
)

// UserFilter narrows the admin list; zero fields match everything.
type UserFilter struct {
	EmailPrefix string // lower-case, matched literally (no wildcards)
	Role        domain.Role
	Status      UserStatus
}

// SecurityEventLog keeps the history of every account: written in the same
// transaction as the change it records, read newest first.
type SecurityEventLog interface {
	// Record stores e.
	Record(ctx context.Context, e domain.SecurityEvent) error
	// ListForUser returns up to limit events of the user older than the event
	// with id before ("" for the newest), newest first.
	ListForUser(ctx context.Context, userID domain.UserID, before string, limit int) ([]domain.SecurityEvent, error)
	// DeleteBefore removes events recorded before cutoff and returns how many.
	DeleteBefore(ctx context.Context, cutoff time.Time) (int, error)
}

// SessionRepository stores login sessions and the hashes of their refresh tokens.
type SessionRepository interface {
	// Create stores a new session together with its first refresh token.
	Create(ctx context.Context, s *domain.Session, first domain.RefreshToken) error
	// ByID returns domain.ErrSessionNotFound.
	ByID(ctx context.Context, id domain.SessionID) (*domain.Session, error)
	// RefreshToken finds a refresh token by its hash, with its session and the
	// session's user, in one read (a refresh needs all three);
	// domain.ErrTokenNotFound when there is none.
	RefreshToken(ctx context.Context, hash []byte) (*domain.RefreshToken, *domain.Session, *domain.User, error)
	// Rotate spends the refresh token with oldHash at next.CreatedAt and stores next in
	// its place, atomically: it reports false and changes nothing when the old token was
	// already rotated (a concurrent refresh won), or when it is not a token of
	// next.SessionID. On success the old token's RotatedAt is next.CreatedAt, and the
	// session's LastUsedAt becomes next.CreatedAt and its RefreshExpiresAt next.ExpiresAt.
	Rotate(ctx context.Context, oldHash []byte, next domain.RefreshToken) (bool, error)
	// Revoke marks the session revoked at now; revoking a revoked session changes nothing.
	// It reports whether the session was live before.
	Revoke(ctx context.Context, id domain.SessionID, now time.Time) (bool, error)
	// RevokeAllForUser revokes every unrevoked session of the user and returns their ids.
	RevokeAllForUser(ctx context.Context, userID domain.UserID, now time.Time) ([]domain.SessionID, error)
	// ListLive returns the user's live sessions at now, newest first.
	ListLive(ctx context.Context, userID domain.UserID, now time.Time) ([]domain.Session, error)
	// RevokedSince returns the sessions revoked at or after since, oldest first, so that a
	// denylist can be seeded with the ones whose access tokens may still be unexpired.
	RevokedSince(ctx context.Context, since time.Time) ([]domain.Session, error)
	// DeleteExpired removes sessions (and their refresh tokens) that ended before
	// cutoff: expired or revoked. It returns how many sessions it removed.
	DeleteExpired(ctx context.Context, cutoff time.Time) (int, error)
}

// OneTimeTokenRepository stores the hashes of emailed secrets (verification and
// reset tokens, reset codes).
type OneTimeTokenRepository interface {
	// Create stores a new token.
	Create(ctx context.Context, t *domain.OneTimeToken) error
	// Consume marks the unused, unexpired token of purpose with hash as used at now,
	// in one conditional update, and returns it; domain.ErrTokenNotFound when no
	// such token can be used (unknown, used, voided or expired).
	Consume(ctx context.Context, purpose domain.TokenPurpose, hash []byte, now time.Time) (*domain.OneTimeToken, error)
	// Find returns the usable (unused, unexpired at now) token of purpose with
	// hash without spending it, for tokens tried several times (the MFA login
	// token); domain.ErrTokenNotFound otherwise.
	Find(ctx context.Context, purpose domain.TokenPurpose, hash []byte, now time.Time) (*domain.OneTimeToken, error)
	// Latest returns the user's newest token of purpose that is still usable at now;
	// domain.ErrTokenNotFound when there is none.
	Latest(ctx context.Context, userID domain.UserID, purpose domain.TokenPurpose, now time.Time) (*domain.OneTimeToken, error)
	// AddAttempt counts one try against the token, in one conditional update,
	// unless it is used, expired at now or already has max tries. It reports whether
	// the try was counted; callers count a try before checking the guess, so
	// parallel guesses can never evaluate more than max.
	AddAttempt(ctx context.Context, id string, max int, now time.Time) (bool, error)
	// Void marks every unused token of the user with one of purposes as used at now.
	Void(ctx context.Context, userID domain.UserID, now time.Time, purposes ...domain.TokenPurpose) error
	// DeleteExpired removes tokens that expired before cutoff.
	DeleteExpired(ctx context.Context, cutoff time.Time) (int, error)
}

// AttemptLog counts events per key over time (wrong codes per account, reset
// mails per account), for limits that must hold across instances and restarts.
type AttemptLog interface {
	// Record notes one event for key at at.
	Record(ctx context.Context, key string, at time.Time) error
	// CountSince counts key's events at or after since.
	CountSince(ctx context.Context, key string, since time.Time) (int, error)
	// DeleteBefore forgets events older than cutoff.
	DeleteBefore(ctx context.Context, cutoff time.Time) (int, error)
}

// Outbox holds outgoing mail until it is delivered, so that mail is recorded in
// the same transaction as the change that causes it and survives restarts.
type Outbox interface {
	// Enqueue stores m for delivery as soon as possible.
	Enqueue(ctx context.Context, m domain.Message, now time.Time) error
	// Claim leases up to limit messages that are due at now (not sent, not dead,
	// NextAttemptAt <= now, no live lease) until now+lease and returns them, oldest
	// first. A claimed message is not returned again to any caller before its lease
	// ends, so concurrent dispatchers never send the same message.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]domain.OutboxMessage, error)
	// MarkSent records delivery and drops the message body (it may hold secrets).
	MarkSent(ctx context.Context, id string, now time.Time) error
	// Retry records a failed attempt (attempts is the new count), releases the
	// lease and schedules the next attempt at next.
	Retry(ctx context.Context, id string, attempts int, next time.Time, lastErr string) error
	// MarkDead gives up on the message, records why, and drops its body.
	MarkDead(ctx context.Context, id string, now time.Time, lastErr string) error
}

// Mailer delivers one rendered message. An error means it may not have been
// delivered; the outbox dispatcher retries.
type Mailer interface {
	Send(ctx context.Context, m domain.Message) error
}

// PasswordHasher turns passwords into storable hashes and checks them. Both calls
// are expensive by design; implementations bound how many run at once and give up
// with the context.
type PasswordHasher interface {
	// Hash returns a self-describing hash (PHC string) of password, normalised
	// first (NFKC) so that every spelling of the same password matches it.
	Hash(ctx context.Context, password domain.Secret) (string, error)
	// Verify reports whether password matches hash, and whether hash should be
	// replaced by a fresh Hash (older algorithm or parameters, or a hash of a password
	// that was not normalised). A malformed hash is an error.
	Verify(ctx context.Context, hash string, password domain.Secret) (match, rehash bool, err error)
}

// AccessClaims is what an access token asserts.
type AccessClaims struct {
	UserID    domain.UserID
	Email     domain.Email
	Role      domain.Role
	SessionID domain.SessionID
	ID        string // jti
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// TokenIssuer signs and verifies access tokens.
type TokenIssuer interface {
	// Issue signs c; the issuer fills in a fresh random ID (jti).
	Issue(c AccessClaims) (token string, err error)
	// Verify checks signature, algorithm, typ, iss, aud and expiry at now;
	// domain.ErrInvalidToken for any failure.
	Verify(token string, now time.Time) (AccessClaims, error)
}

// KeySet publishes the public keys that verify access tokens.
type KeySet interface {
	// JWKS returns the JSON Web Key Set document.
	JWKS() []byte
}

// Clock tells the time; tests move it by hand.
type Clock interface {
	Now() time.Time
}

// Random draws identifiers and secrets from a CSPRNG.
type Random interface {
	// NewID returns a new time-ordered UUID string (UUIDv7).
	NewID() string
	// Secret returns 256 random bits, base64url without padding.
	Secret() (domain.Secret, error)
	// Digits returns n decimal digits, each drawn uniformly.
	Digits(n int) (domain.Secret, error)
}

// Pinger reports whether a dependency answers; /readyz asks every one.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Sealer protects secrets at rest (the private keys of the key ring, TOTP
// secrets) with AUTH_KEY_ENCRYPTION_KEY. Without a key it stores them in clear,
// marked so, and Enabled is false. The context (which row a secret belongs to)
// is bound to the sealed bytes, so a sealed value copied to another row does
// not open there.
type Sealer interface {
	// Seal returns the stored form of plain.
	Seal(plain []byte, context string) ([]byte, error)
	// Open returns the plain secret of a stored form; an error when it was
	// sealed with another key, changed, or sealed while no key is configured.
	Open(stored []byte, context string) ([]byte, error)
	// Enabled reports whether secrets are encrypted.
	Enabled() bool
}
