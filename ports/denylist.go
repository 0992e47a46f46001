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
	// MarkSeeded records that the store now holds every live revocation again.
	MarkSeeded(ctx context.Context) error
	// Ping reports whether the store answers (for /readyz).
	Ping(ctx context.Context) error
}
