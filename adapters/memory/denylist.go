package memory

import (
	"context"
	"sync"
	"time"

	"authd/domain"
	"authd/ports"
)

// Denylist is an in-process ports.TokenDenylist.
type Denylist struct {
	clock ports.Clock

	mu        sync.RWMutex
	until     map[domain.SessionID]time.Time
	seeded    bool
	lastSweep time.Time
}

var _ ports.TokenDenylist = (*Denylist)(nil)

// sweepEvery bounds how often Add drops entries whose access tokens have expired.
const sweepEvery = time.Minute

// NewDenylist returns an empty denylist that reports itself stale until it is seeded.
func NewDenylist(clock ports.Clock) *Denylist {
	return &Denylist{clock: clock, until: map[domain.SessionID]time.Time{}}
}

// Add records revocations.
func (d *Denylist) Add(_ context.Context, revs ...domain.Revocation) error {
	now := d.clock.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range revs {
		if r.AccessUntil.After(d.until[r.SessionID]) {
			d.until[r.SessionID] = r.AccessUntil
		}
	}
	if now.Sub(d.lastSweep) >= sweepEvery {
		d.lastSweep = now
		for id, until := range d.until {
			if !now.Before(until) {
				delete(d.until, id)
			}
		}
	}
	return nil
}

// Contains reports whether the session is revoked; ports.ErrDenylistStale until seeded.
func (d *Denylist) Contains(_ context.Context, id domain.SessionID) (bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if !d.seeded {
		return false, ports.ErrDenylistStale
	}
	until, ok := d.until[id]
	return ok && d.clock.Now().Before(until), nil
}

// ContainsForUser is Contains; the process keeps no account versions (see
// NoAccountVersions), so the version is always "".
func (d *Denylist) ContainsForUser(ctx context.Context, id domain.SessionID, _ domain.UserID) (bool, string, error) {
	revoked, err := d.Contains(ctx, id)
	return revoked, "", err
}

// NoAccountVersions is the ports.AccountVersions of the process-local
// denylist: it keeps none, so no instance trusts a copy of an account. A
// version only this process knew would not be told of the changes that other
// processes make to the same database (the CLI's, another instance's).
type NoAccountVersions struct{}

var _ ports.AccountVersions = NoAccountVersions{}

// Bump has no version to change.
func (NoAccountVersions) Bump(context.Context, domain.UserID) error { return nil }

// Start gives no version.
func (NoAccountVersions) Start(context.Context, domain.UserID) (string, error) { return "", nil }

// MarkSeeded records that every live revocation has been added.
func (d *Denylist) MarkSeeded(context.Context) error {
	d.mu.Lock()
	d.seeded = true
	d.mu.Unlock()
	return nil
}

// Ping always succeeds: the denylist is in this process.
func (d *Denylist) Ping(context.Context) error { return nil }
