package ports

import (
	"context"
	"errors"

	"authd/domain"
)

// ErrDenylistStale is returned by TokenDenylist.Contains when the store lost its
// entries since it was last seeded (a new process, a restarted or flushed
// memcached): its "not revoked" cannot be trusted until it is seeded again.
var ErrDenylistStale = errors.New("token denylist lost its entries and must be re-seeded")

// TokenDenylist holds the ids of revoked sessions until their last access token
// would have expired, so that every protected request can refuse them with one
// lookup, on every instance. The database stays the record of revocations; the
// denylist is a fast, shared, re-seedable view of its recent part.
type TokenDenylist interface {
	// Add records revocations; an entry may be forgotten after its AccessUntil.
	Add(ctx context.Context, revs ...domain.Revocation) error
	// Contains reports whether the session is revoked, in one round trip.
	// ErrDenylistStale when the store must be re-seeded first; errors that
	// wrap domain.ErrUnavailable when it does not answer.
	Contains(ctx context.Context, id domain.SessionID) (bool, error)
	// ContainsForUser is Contains that also returns, read in the same round
	// trip, the version that the store keeps of user's account (see
	// AccountVersions): "" when it keeps none for it.
	ContainsForUser(ctx context.Context, id domain.SessionID, user domain.UserID) (revoked bool, version string, err error)
	// MarkSeeded records that the store now holds every live revocation again.
	MarkSeeded(ctx context.Context) error
	// Ping reports whether the store answers (for /readyz).
	Ping(ctx context.Context) error
}

// AccountVersions gives each account a version that changes whenever the
// stored account does, kept where every instance sharing the database reads
// it (beside the denylist, in the same round trip), so that an instance may
// answer from a copy of the account it read before, for as long as the
// version it read then is still current. A version is an opaque random
// value, never reused; a store that lost it simply has none.
type AccountVersions interface {
	// Bump gives the account a new version. Called after every committed
	// change of the stored account, before the change is reported done.
	Bump(ctx context.Context, id domain.UserID) error
	// Start gives a version to an account that has none, and returns it; ""
	// when the account has one already (or the store keeps none: then no copy
	// may be trusted). A copy read from the database after Start returned v
	// may be kept under v.
	Start(ctx context.Context, id domain.UserID) (string, error)
}
