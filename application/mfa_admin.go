package application

import (
	"context"
	"errors"

	"authd/domain"
	"authd/ports"
)

// MFAAdministration lets admins switch off the second factor of a user who
// lost it. It authorizes through Administration, so the caller's role is read
// from the store on every call.
type MFAAdministration struct {
	admin *Administration
	mfa   *MFA
}

var _ ports.MFAAdministration = (*MFAAdministration)(nil)

// NewMFAAdministration builds the admin reset of multi-factor sign-in.
func NewMFAAdministration(admin *Administration, mfa *MFA) *MFAAdministration {
	return &MFAAdministration{admin: admin, mfa: mfa}
}

// ResetMFA switches the account's multi-factor sign-in off; an account
// without it is left as it is. See ports.MFAAdministration.
func (a *MFAAdministration) ResetMFA(ctx context.Context, p ports.Principal, id domain.UserID) error {
	caller, err := a.admin.authorize(ctx, p)
	if err != nil {
		return err
	}
	if _, err := a.admin.target(ctx, id); err != nil {
		return err
	}
	now := a.mfa.clock.Now()
	err = a.mfa.tx.WithinTx(ctx, func(ctx context.Context) error {
		return a.mfa.switchOff(ctx, id, now, domain.EventMFAReset, "", caller.ID, "mfa_reset", "Multi-factor sign-in was switched off")
	})
	if errors.Is(err, domain.ErrMFANotEnabled) {
		return nil
	}
	if errors.Is(err, domain.ErrUserNotFound) {
		return domain.ErrNotFound
	}
	if err != nil {
		return err
	}
	a.mfa.log.InfoContext(ctx, "mfa_reset", "user_id", id, "actor_id", caller.ID)
	return nil
}
