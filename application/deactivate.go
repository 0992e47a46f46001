package application

import (
	"context"
	"log/slog"

	"authd/domain"
	"authd/ports"
)

// Deactivation closes the caller's own account. The row is kept (so the email
// stays taken and the history stays auditable) but nothing of it works any more.
type Deactivation struct {
	events      recorder
	tx          ports.Transactor
	users       ports.UserRepository
	sessions    ports.SessionRepository
	tokens      ports.OneTimeTokenRepository
	hasher      ports.PasswordHasher
	revocations *Revocations
	clock       ports.Clock
	log         *slog.Logger
}

var _ ports.Deactivation = (*Deactivation)(nil)

// NewDeactivation builds the deactivate use case.
func NewDeactivation(st Stores, env Env, hasher ports.PasswordHasher, revocations *Revocations) *Deactivation {
	return &Deactivation{events: newRecorder(st, env), tx: st.Tx, users: st.Users, sessions: st.Sessions, tokens: st.Tokens, hasher: hasher, revocations: revocations,
		clock: env.Clock, log: env.Log}
}

// Deactivate checks the password, marks the account deactivated, revokes every
// session and voids every outstanding emailed token; see ports.Deactivation.
func (d *Deactivation) Deactivate(ctx context.Context, p ports.Principal, password domain.Secret) error {
	u, err := currentUser(ctx, d.users, p)
	if err != nil {
		return err
	}
	if err := checkPassword(ctx, d.hasher, u, password); err != nil {
		d.log.InfoContext(ctx, "deactivation_failed", "user_id", u.ID)
		return err
	}
	now := d.clock.Now()
	var revoked []domain.SessionID
	err = d.tx.WithinTx(ctx, func(ctx context.Context) error {
		err := d.users.Update(ctx, u.ID, func(cur *domain.User) error { return cur.Deactivate(now) })
		if err != nil {
			return err
		}
		if revoked, err = d.sessions.RevokeAllForUser(ctx, u.ID, now); err != nil {
			return err
		}
		if err := d.tokens.Void(ctx, u.ID, now, domain.PurposeVerifyEmail, domain.PurposeResetLink, domain.PurposeResetOTP,
			domain.PurposeChangeEmail); err != nil {
			return err
		}
		return d.events.record(ctx, domain.EventDeactivated, u.ID, p.SessionID, "")
	})
	if err != nil {
		return err
	}
	if err := d.revocations.deny(ctx, now, revoked...); err != nil {
		return err
	}
	d.log.InfoContext(ctx, "account_deactivated", "user_id", u.ID, "sessions_revoked", len(revoked))
	return nil
}
