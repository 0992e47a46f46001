package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"authd/domain"
	"authd/ports"
)

// Revocations keeps the token denylist in step with the database: every
// session revoked in storage is added to the denylist, and a denylist that lost
// its entries is re-seeded from storage before it is trusted again.
type Revocations struct {
	sessions ports.SessionRepository
	denylist ports.TokenDenylist
	clock    ports.Clock
	settings Settings
	log      *slog.Logger

	seedMu sync.Mutex
	// dirty is set when an Add failed: the denylist may miss a revocation, so
	// the next check re-seeds it even if it looks intact.
	dirty atomic.Bool
}

var _ ports.RevocationSeeder = (*Revocations)(nil)

// NewRevocations builds the bridge between session storage and the denylist.
func NewRevocations(sessions ports.SessionRepository, denylist ports.TokenDenylist, clock ports.Clock, settings Settings, log *slog.Logger) *Revocations {
	return &Revocations{sessions: sessions, denylist: denylist, clock: clock, settings: settings, log: log}
}

// deny adds sessions that storage has just revoked (at revokedAt) to the
// denylist, for as long as an access token issued before could live.
func (r *Revocations) deny(ctx context.Context, revokedAt time.Time, ids ...domain.SessionID) error {
	if len(ids) == 0 {
		return nil
	}
	revs := make([]domain.Revocation, len(ids))
	for i, id := range ids {
		revs[i] = domain.Revocation{SessionID: id, AccessUntil: revokedAt.Add(r.settings.AccessTokenTTL)}
	}
	if err := r.denylist.Add(ctx, revs...); err != nil {
		r.dirty.Store(true)
		return fmt.Errorf("denylist: add: %w", err)
	}
	return nil
}

// IsRevoked reports whether the session's access tokens must be refused,
// and the version of the user's account read with it (see
// ports.AccountVersions; "" when none is known). It never answers "no" from a
// denylist that may have lost entries.
func (r *Revocations) IsRevoked(ctx context.Context, id domain.SessionID, user domain.UserID) (revoked bool, version string, err error) {
	if r.dirty.Load() {
		if err := r.Seed(ctx); err != nil {
			return false, "", err
		}
	}
	revoked, version, err = r.denylist.ContainsForUser(ctx, id, user)
	if errors.Is(err, ports.ErrDenylistStale) {
		if err := r.Seed(ctx); err != nil {
			return false, "", err
		}
		revoked, version, err = r.denylist.ContainsForUser(ctx, id, user)
	}
	if errors.Is(err, ports.ErrDenylistStale) {
		return false, "", domain.WrapUnavailable(err)
	}
	if err != nil {
		return false, "", err
	}
	return revoked, version, nil
}

// Seed adds every revocation whose access tokens may still be unexpired and
// then marks the denylist trustworthy. Concurrent callers wait for one seeding.
func (r *Revocations) Seed(ctx context.Context) error {
	r.seedMu.Lock()
	defer r.seedMu.Unlock()
	if _, err := r.denylist.Contains(ctx, ""); err == nil && !r.dirty.Load() {
		return nil // another caller seeded it meanwhile
	}
	wasDirty := r.dirty.Swap(false)
	now := r.clock.Now()
	revoked, err := r.sessions.RevokedSince(ctx, now.Add(-r.settings.AccessTokenTTL))
	if err == nil {
		revs := make([]domain.Revocation, 0, len(revoked))
		for _, s := range revoked {
			revs = append(revs, domain.Revocation{SessionID: s.ID, AccessUntil: s.RevokedAt.Add(r.settings.AccessTokenTTL)})
		}
		if err = r.denylist.Add(ctx, revs...); err == nil {
			err = r.denylist.MarkSeeded(ctx)
		}
		if err == nil {
			r.log.InfoContext(ctx, "denylist_seeded", "revocations", len(revs))
			return nil
		}
	}
	if wasDirty {
		r.dirty.Store(true)
	}
	return fmt.Errorf("denylist: seed: %w", err)
}
