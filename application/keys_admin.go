package application

import (
	"context"

	"authd/domain"
	"authd/ports"
)

// KeyAdministration is the admin API's rotation of the signing key: the same
// admin check as every admin route (the caller's current role, read from the
// store), then KeyRing.Rotate.
type KeyAdministration struct {
	admin *Administration
	ring  *KeyRing
}

var _ ports.KeyRotation = (*KeyAdministration)(nil)

// NewKeyAdministration returns the rotation use case.
func NewKeyAdministration(admin *Administration, ring *KeyRing) *KeyAdministration {
	return &KeyAdministration{admin: admin, ring: ring}
}

// RotateKey checks the caller is an admin and rotates; see ports.KeyRotation.
func (a *KeyAdministration) RotateKey(ctx context.Context, p ports.Principal) (domain.KeyStatus, error) {
	caller, err := a.admin.authorize(ctx, p)
	if err != nil {
		return domain.KeyStatus{}, err
	}
	st, err := a.ring.Rotate(ctx)
	if err != nil {
		return domain.KeyStatus{}, err
	}
	a.ring.log.Info("signing key rotated", "kid", st.Kid, "activates_at", st.ActivatesAt, "actor_id", string(caller.ID))
	return st, nil
}
