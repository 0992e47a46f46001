package application

import (
	"context"
	"errors"

	"authd/domain"
	"authd/ports"
)

// Profile lets users read and edit their own account.
type Profile struct {
	users    ports.UserRepository
	versions ports.AccountVersions
	clock    ports.Clock
	metrics  ports.Metrics
	copies   accountCopies
}

var _ ports.Profile = (*Profile)(nil)

// NewProfile builds the profile use case. versions are the account versions
// that the store of users bumps on every committed change; metrics counts
// where each read was answered from (nil counts nothing).
func NewProfile(users ports.UserRepository, versions ports.AccountVersions, clock ports.Clock, metrics ports.Metrics) *Profile {
	return &Profile{users: users, versions: versions, clock: clock, metrics: orNop(metrics)}
}

// Me returns the caller's account. An account that vanished behind a valid token
// answers like a revoked token.
//
// It answers from a copy read before when the account's version, read with
// the revocation check (who.AccountVersion), is still the one the copy was
// kept under: unchanged since, on every instance (a version changes after
// every committed change of the account). The revocation check itself is
// never skipped; a deactivation revokes every session, so a copy never lets a
// deactivated account's token through. Without a version (the shared store
// lost it, or keeps none) the account is read from the database, and kept
// under the version that Start gives it when the store keeps versions.
func (p *Profile) Me(ctx context.Context, who ports.Principal) (*domain.User, error) {
	now := p.clock.Now()
	if u, ok := p.copies.get(who.UserID, who.AccountVersion, now); ok {
		p.metrics.ProfileRead("copy")
		return u, nil
	}
	version := who.AccountVersion
	if version == "" {
		// Started before the read, so that a change committed after the read
		// bumps it: a failure only means no copy this time.
		version, _ = p.versions.Start(ctx, who.UserID)
	}
	u, err := currentUser(ctx, p.users, who)
	if err != nil {
		return nil, err
	}
	p.metrics.ProfileRead("store")
	u.PasswordHash = "" // what the profile shows never needs it
	p.copies.put(u, version, now)
	return u, nil
}

// Update applies patch to the caller's profile; see ports.Profile.
func (p *Profile) Update(ctx context.Context, who ports.Principal, patch domain.ProfilePatch) (*domain.User, error) {
	var updated domain.User
	err := p.users.Update(ctx, who.UserID, func(u *domain.User) error {
		if err := u.UpdateProfile(patch, p.clock.Now()); err != nil {
			return err
		}
		updated = *u
		return nil
	})
	if errors.Is(err, domain.ErrUserNotFound) || errors.Is(err, domain.ErrAccountDeactivated) {
		return nil, domain.ErrTokenRevoked
	}
	if err != nil {
		return nil, err
	}
	return &updated, nil
}
