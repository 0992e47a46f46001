package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"authd/domain"
	"authd/ports"
)

// PasswordChange replaces a password the user knows. Every session ends with
// it, the caller's included, so a stolen token dies with the old password; the
// caller gets a fresh session.
type PasswordChange struct {
	events      recorder
	tx          ports.Transactor
	users       ports.UserRepository
	sessions    ports.SessionRepository
	hasher      ports.PasswordHasher
	outbox      ports.Outbox
	random      ports.Random
	issuer      *SessionIssuer
	revocations *Revocations
	clock       ports.Clock
	settings    Settings
	log         *slog.Logger
}

var _ ports.PasswordChange = (*PasswordChange)(nil)

// NewPasswordChange builds the change-password use case.
func NewPasswordChange(st Stores, env Env, hasher ports.PasswordHasher, issuer *SessionIssuer, revocations *Revocations) *PasswordChange {
	return &PasswordChange{events: newRecorder(st, env), tx: st.Tx, users: st.Users, sessions: st.Sessions, hasher: hasher, outbox: st.Outbox, random: env.Random,
		issuer: issuer, revocations: revocations, clock: env.Clock, settings: env.Settings, log: env.Log}
}

// ChangePassword checks the current password, stores the new one and swaps all
// sessions for a new one; see ports.PasswordChange.
func (pc *PasswordChange) ChangePassword(ctx context.Context, p ports.Principal, in ports.ChangePasswordInput) (ports.SessionTokens, error) {
	u, err := currentUser(ctx, pc.users, p)
	if err != nil {
		return ports.SessionTokens{}, err
	}
	var missing error
	if in.CurrentPassword == "" {
		missing = domain.Validation(domain.FieldError{Field: "currentPassword", Message: "is required"})
	}
	if err := validateAll(
		missing,
		pc.settings.PasswordPolicy.Check("newPassword", in.NewPassword.Reveal(), u.Email),
		domain.CheckConfirm("newPasswordConfirm", in.NewPassword, in.NewPasswordConfirm),
	); err != nil {
		return ports.SessionTokens{}, err
	}
	if err := checkPassword(ctx, pc.hasher, u, in.CurrentPassword); err != nil {
		pc.log.InfoContext(ctx, "password_change_failed", "user_id", u.ID)
		return ports.SessionTokens{}, err
	}
	hash, err := pc.hasher.Hash(ctx, in.NewPassword)
	if err != nil {
		return ports.SessionTokens{}, fmt.Errorf("change password: hash: %w", err)
	}

	now := pc.clock.Now()
	var revoked []domain.SessionID
	var tokens ports.SessionTokens
	err = pc.tx.WithinTx(ctx, func(ctx context.Context) error {
		err := pc.users.Update(ctx, u.ID, func(cur *domain.User) error {
			if err := cur.SetPassword(hash, now); err != nil {
				return domain.ErrTokenRevoked // closed meanwhile: the caller's token is no good
			}
			*u = *cur
			return nil
		})
		if err != nil {
			return err
		}
		if revoked, err = pc.sessions.RevokeAllForUser(ctx, u.ID, now); err != nil {
			return err
		}
		if err := enqueuePasswordNotice(ctx, pc.outbox, pc.random, u, now); err != nil {
			return err
		}
		if tokens, err = pc.issuer.Start(ctx, u, in.Client); err != nil {
			return err
		}
		return pc.events.record(ctx, domain.EventPasswordChanged, u.ID, p.SessionID, "")
	})
	if err != nil {
		return ports.SessionTokens{}, err
	}
	if err := pc.revocations.deny(ctx, now, revoked...); err != nil {
		return ports.SessionTokens{}, err
	}
	pc.log.InfoContext(ctx, "password_changed", "user_id", u.ID, "sessions_revoked", len(revoked))
	return tokens, nil
}

// currentUser loads the caller's account; one that vanished or was closed
// behind a still-valid token answers like a revoked token.
func currentUser(ctx context.Context, users ports.UserRepository, p ports.Principal) (*domain.User, error) {
	u, err := users.ByID(ctx, p.UserID)
	if err == nil && u.Deactivated() {
		return nil, domain.ErrTokenRevoked
	}
	if errors.Is(err, domain.ErrUserNotFound) {
		return nil, domain.ErrTokenRevoked
	}
	return u, err
}

// checkPassword verifies a password the caller must re-enter for a sensitive action.
func checkPassword(ctx context.Context, hasher ports.PasswordHasher, u *domain.User, password domain.Secret) error {
	if password == "" {
		return domain.ErrInvalidCurrentPassword
	}
	match, _, err := hasher.Verify(ctx, u.PasswordHash, password)
	if err != nil {
		return fmt.Errorf("verify password: %w", err)
	}
	if !match {
		return domain.ErrInvalidCurrentPassword
	}
	return nil
}
