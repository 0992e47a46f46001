package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"authd/domain"
	"authd/ports"
)

// EmailChange moves an account to a new address: the owner asks with their
// password, the new address confirms by a link, and nothing changes before.
// The old address is told at both steps, without any link or secret.
type EmailChange struct {
	tx          ports.Transactor
	users       ports.UserRepository
	sessions    ports.SessionRepository
	tokens      ports.OneTimeTokenRepository
	outbox      ports.Outbox
	events      recorder
	hasher      ports.PasswordHasher
	guard       *AbuseGuard
	revocations *Revocations
	random      ports.Random
	clock       ports.Clock
	settings    Settings
	log         *slog.Logger
}

var _ ports.EmailChange = (*EmailChange)(nil)

// NewEmailChange builds the email-change use case.
func NewEmailChange(st Stores, env Env, hasher ports.PasswordHasher, guard *AbuseGuard, revocations *Revocations) *EmailChange {
	return &EmailChange{tx: st.Tx, users: st.Users, sessions: st.Sessions, tokens: st.Tokens, outbox: st.Outbox, events: newRecorder(st, env),
		hasher: hasher, guard: guard, revocations: revocations, random: env.Random, clock: env.Clock, settings: env.Settings, log: env.Log}
}

// Request checks the password and the new address, then mails the
// confirmation link to the new address and a notice to the old one; see
// ports.EmailChange.
func (c *EmailChange) Request(ctx context.Context, p ports.Principal, in ports.EmailChangeInput) error {
	u, err := currentUser(ctx, c.users, p)
	if err != nil {
		return err
	}
	next, err := domain.ParseEmail(in.NewEmail)
	if err != nil {
		return domain.Validation(domain.FieldError{Field: "newEmail", Message: domain.AsError(err).Fields[0].Message})
	}
	if next == u.Email {
		return domain.Validation(domain.FieldError{Field: "newEmail", Message: "must differ from the current address"})
	}
	if err := c.guard.mailRequest(ctx, in.Client.IP); err != nil {
		return err
	}
	if err := checkPassword(ctx, c.hasher, u, in.Password); err != nil {
		return err
	}
	if _, err := c.users.ByEmail(ctx, next); err == nil {
		return domain.ErrEmailTaken
	} else if !errors.Is(err, domain.ErrUserNotFound) {
		return err
	}

	secret, err := c.random.Secret()
	if err != nil {
		return fmt.Errorf("email change: draw token: %w", err)
	}
	now := c.clock.Now()
	confirm, err := renderMail(c.random.NewID(), next, "email_change_confirm", mailData{
		Subject: "Confirm your new email address", Name: u.Profile.FirstName,
		Link:  strings.TrimRight(c.settings.PublicURL, "/") + "/api/v1/auth/email/change/" + secret.Reveal(),
		Valid: humanDuration(c.settings.VerifyTokenTTL),
	})
	if err != nil {
		return fmt.Errorf("email change: render mail: %w", err)
	}
	notice, err := renderMail(c.random.NewID(), u.Email, "email_change_requested", mailData{
		Subject: "A change of your email address was requested", Name: u.Profile.FirstName, Address: next.String(),
	})
	if err != nil {
		return fmt.Errorf("email change: render notice: %w", err)
	}
	err = c.tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := c.tokens.Void(ctx, u.ID, now, domain.PurposeChangeEmail); err != nil {
			return err
		}
		t := &domain.OneTimeToken{ID: c.random.NewID(), Hash: secret.Hash(), Purpose: domain.PurposeChangeEmail, UserID: u.ID,
			CreatedAt: now, ExpiresAt: now.Add(c.settings.VerifyTokenTTL), Payload: next.String()}
		if err := c.tokens.Create(ctx, t); err != nil {
			return err
		}
		if err := c.outbox.Enqueue(ctx, confirm, now); err != nil {
			return err
		}
		if err := c.outbox.Enqueue(ctx, notice, now); err != nil {
			return err
		}
		return c.events.record(ctx, domain.EventEmailChangeRequested, u.ID, p.SessionID, "")
	})
	if err != nil {
		return err
	}
	c.log.InfoContext(ctx, "email_change_requested", "user_id", u.ID)
	return nil
}

// Confirm redeems the link sent to the new address: the address is replaced
// and verified, every session ends and the old address is told; see
// ports.EmailChange. An unknown, used or expired token counts as a guess of
// the client IP.
func (c *EmailChange) Confirm(ctx context.Context, token domain.Secret, client ports.Client) error {
	if token == "" {
		return domain.Validation(domain.FieldError{Field: "token", Message: "is required"})
	}
	att, err := c.guard.beginGuess(ctx, client.IP)
	if err != nil {
		return err
	}
	now := c.clock.Now()
	var revoked []domain.SessionID
	var u domain.User
	var old domain.Email
	err = c.tx.WithinTx(ctx, func(ctx context.Context) error {
		t, err := c.tokens.Consume(ctx, domain.PurposeChangeEmail, token.Hash(), now)
		if err != nil {
			return err
		}
		err = c.users.Update(ctx, t.UserID, func(cur *domain.User) error {
			old = cur.Email
			if err := cur.ChangeEmail(domain.EmailFromDatabase(t.Payload), now); err != nil {
				return err
			}
			u = *cur
			return nil
		})
		if err != nil {
			return err // a taken address rolls everything back: the link still works once it is free
		}
		if revoked, err = c.sessions.RevokeAllForUser(ctx, u.ID, now); err != nil {
			return err
		}
		notice, err := renderMail(c.random.NewID(), old, "email_changed", mailData{
			Subject: "The email address of your account was changed", Name: u.Profile.FirstName, Address: u.Email.String(),
		})
		if err != nil {
			return fmt.Errorf("email change: render notice: %w", err)
		}
		if err := c.outbox.Enqueue(ctx, notice, now); err != nil {
			return err
		}
		return c.events.record(ctx, domain.EventEmailChanged, u.ID, "", "")
	})
	switch {
	case errors.Is(err, domain.ErrTokenNotFound), errors.Is(err, domain.ErrUserNotFound), errors.Is(err, domain.ErrAccountDeactivated):
		return domain.ErrInvalidVerificationToken // a failed guess: stays counted
	case err != nil:
		att.undo(ctx)
		return err
	}
	att.passed(ctx)
	if err := c.revocations.deny(ctx, now, revoked...); err != nil {
		return err
	}
	c.log.InfoContext(ctx, "email_changed", "user_id", u.ID, "sessions_revoked", len(revoked))
	return nil
}
