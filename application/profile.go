package application

import (
	"context"
	"errors"

	"authd/domain"
	"authd/ports"
)

// Profile lets users read and edit their own account.
type Profile struct {
	users ports.UserRepository
	clock ports.Clock
}

var _ ports.Profile = (*Profile)(nil)

// NewProfile builds the profile use case.
func NewProfile(users ports.UserRepository, clock ports.Clock) *Profile {
	return &Profile{users: users, clock: clock}
}

// Me returns the caller's account. An account that vanished behind a valid token
// answers like a revoked token.
func (p *Profile) Me(ctx context.Context, who ports.Principal) (*domain.User, error) {
	return currentUser(ctx, p.users, who)
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
