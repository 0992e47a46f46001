package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"authd/domain"
	"authd/ports"
)

// EmailVerification issues and redeems the tokens that prove a user controls
// their email address.
type EmailVerification struct {
	tx       ports.Transactor
	users    ports.UserRepository
	tokens   ports.OneTimeTokenRepository
	outbox   ports.Outbox
	attempts ports.AttemptLog
	guard    *AbuseGuard
	events   recorder
	random   ports.Random
	clock    ports.Clock
	settings Settings
	log      *slog.Logger
}

var _ ports.EmailVerification = (*EmailVerification)(nil)

// NewEmailVerification builds the verification use case.
func NewEmailVerification(st Stores, env Env, guard *AbuseGuard) *EmailVerification {
	return &EmailVerification{tx: st.Tx, users: st.Users, tokens: st.Tokens, outbox: st.Outbox, attempts: st.Attempts, guard: guard,
		events: newRecorder(st, env), random: env.Random, clock: env.Clock, settings: env.Settings, log: env.Log}
}

// verifyMailsPerHour caps the verification mails that resend sends one account.
const (
	verifyMailsPerHour   = 5
	attemptKeyVerifyMail = "verify_mail:"
)

// issue voids u's earlier verification tokens, stores a new one and queues the
// mail carrying it. It must run inside the caller's transaction.
func (v *EmailVerification) issue(ctx context.Context, u *domain.User) error {
	now := v.clock.Now()
	secret, err := v.random.Secret()
	if err != nil {
		return fmt.Errorf("verification: draw token: %w", err)
	}
	if err := v.tokens.Void(ctx, u.ID, now, domain.PurposeVerifyEmail); err != nil {
		return err
	}
	t := &domain.OneTimeToken{
		ID:        v.random.NewID(),
		Hash:      secret.Hash(),
		Purpose:   domain.PurposeVerifyEmail,
		UserID:    u.ID,
		CreatedAt: now,
		ExpiresAt: now.Add(v.settings.VerifyTokenTTL),
	}
	if err := v.tokens.Create(ctx, t); err != nil {
		return err
	}
	msg, err := renderMail(v.random.NewID(), u.Email, "verify_email", mailData{
		Subject: "Confirm your email address",
		Name:    u.Profile.FirstName,
		Link:    strings.TrimRight(v.settings.PublicURL, "/") + "/api/v1/auth/email/verify/" + secret.Reveal(),
		Valid:   humanDuration(v.settings.VerifyTokenTTL),
	})
	if err != nil {
		return fmt.Errorf("verification: render mail: %w", err)
	}
	return v.outbox.Enqueue(ctx, msg, now)
}

// Verify redeems a verification token; see ports.EmailVerification. A token
// that does not work counts as a guess of the client IP.
func (v *EmailVerification) Verify(ctx context.Context, token domain.Secret, client ports.Client) error {
	if token == "" {
		return domain.Validation(domain.FieldError{Field: "token", Message: "is required"})
	}
	att, err := v.guard.beginGuess(ctx, client.IP)
	if err != nil {
		return err
	}
	var userID domain.UserID
	err = v.tx.WithinTx(ctx, func(ctx context.Context) error {
		t, err := v.tokens.Consume(ctx, domain.PurposeVerifyEmail, token.Hash(), v.clock.Now())
		if err != nil {
			return err
		}
		userID = t.UserID
		err = v.users.Update(ctx, t.UserID, func(u *domain.User) error {
			if u.VerifyEmail(v.clock.Now()) != nil {
				return domain.ErrInvalidVerificationToken // a closed account cannot be verified
			}
			return nil
		})
		if err != nil {
			return err
		}
		return v.events.record(ctx, domain.EventEmailVerified, t.UserID, "", "")
	})
	if errors.Is(err, domain.ErrTokenNotFound) || errors.Is(err, domain.ErrUserNotFound) || errors.Is(err, domain.ErrInvalidVerificationToken) {
		return domain.ErrInvalidVerificationToken // a failed guess: stays counted
	}
	if err != nil {
		att.undo(ctx)
		return err
	}
	att.passed(ctx)
	v.log.InfoContext(ctx, "email_verified", "user_id", userID)
	return nil
}

// Resend queues a fresh verification mail; see ports.EmailVerification. At most
// verifyMailsPerHour are sent to one account; the answer does not change.
func (v *EmailVerification) Resend(ctx context.Context, rawEmail string, client ports.Client) error {
	email, err := domain.ParseEmail(rawEmail)
	if err != nil {
		return err
	}
	if err := v.guard.mailRequest(ctx, client.IP); err != nil {
		return err
	}
	u, err := v.users.ByEmail(ctx, email)
	if errors.Is(err, domain.ErrUserNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if u.EmailVerified || u.Deactivated() {
		return nil
	}
	sent := false
	err = v.tx.WithinTx(ctx, func(ctx context.Context) error {
		now := v.clock.Now()
		key := attemptKeyVerifyMail + string(u.ID)
		recent, err := v.attempts.CountSince(ctx, key, now.Add(-time.Hour))
		if err != nil || recent >= verifyMailsPerHour {
			return err // over the cap: nothing is sent
		}
		if err := v.attempts.Record(ctx, key, now); err != nil {
			return err
		}
		sent = true
		return v.issue(ctx, u)
	})
	if err != nil {
		return err
	}
	v.log.InfoContext(ctx, "verification_resent", "user_id", u.ID, "mail_queued", sent)
	return nil
}
