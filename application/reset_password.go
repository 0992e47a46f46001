package application

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"authd/domain"
	"authd/ports"
)

// Limits of the reset flow (contract: forgot/reset password).
const (
	otpDigits            = 6
	otpMaxTries          = 5  // per code
	otpMaxFailuresPerHr  = 10 // per account, whatever new codes are requested
	resetMailsPerHour    = 5  // per account
	attemptKeyResetMail  = "reset_mail:"
	attemptKeyOTPFailure = "otp_failure:"
	attemptKeyForgot     = "forgot_unknown:"
)

// PasswordReset lets users who forgot their password set a new one after
// proving control of their mailbox, by an emailed link or a 6-digit code.
type PasswordReset struct {
	events      recorder
	tx          ports.Transactor
	users       ports.UserRepository
	sessions    ports.SessionRepository
	tokens      ports.OneTimeTokenRepository
	attempts    ports.AttemptLog
	outbox      ports.Outbox
	hasher      ports.PasswordHasher
	revocations *Revocations
	guard       *AbuseGuard
	random      ports.Random
	clock       ports.Clock
	settings    Settings
	log         *slog.Logger
}

var _ ports.PasswordReset = (*PasswordReset)(nil)

// NewPasswordReset builds the forgot/reset use case.
func NewPasswordReset(st Stores, env Env, hasher ports.PasswordHasher, revocations *Revocations, guard *AbuseGuard) *PasswordReset {
	return &PasswordReset{events: newRecorder(st, env), tx: st.Tx, users: st.Users, sessions: st.Sessions, tokens: st.Tokens, attempts: st.Attempts, outbox: st.Outbox,
		hasher: hasher, revocations: revocations, guard: guard, random: env.Random, clock: env.Clock, settings: env.Settings, log: env.Log}
}

// Forgot queues a reset mail; see ports.PasswordReset. Every well-formed email
// costs the same work — a drawn secret, a rendered message, one transaction
// that records the request — so neither answer nor timing tells whether it exists.
func (r *PasswordReset) Forgot(ctx context.Context, rawEmail string, method ports.ResetMethod, client ports.Client) error {
	if method == "" {
		method = ports.ResetByLink
	}
	var methodErr error
	if method != ports.ResetByLink && method != ports.ResetByOTP {
		methodErr = domain.Validation(domain.FieldError{Field: "method", Message: `must be "link" or "otp"`})
	}
	email, emailErr := domain.ParseEmail(rawEmail)
	if err := validateAll(emailErr, methodErr); err != nil {
		return err
	}
	if err := r.guard.mailRequest(ctx, client.IP); err != nil {
		return err
	}
	u, err := r.users.ByEmail(ctx, email)
	if errors.Is(err, domain.ErrUserNotFound) {
		u, err = nil, nil
	}
	if err != nil {
		return err
	}

	now := r.clock.Now()
	var secret domain.Secret
	if method == ports.ResetByOTP {
		secret, err = r.random.Digits(otpDigits)
	} else {
		secret, err = r.random.Secret()
	}
	if err != nil {
		return fmt.Errorf("forgot: draw secret: %w", err)
	}
	to, name, uid := email, "", domain.UserID("")
	if u != nil {
		name, uid = u.Profile.FirstName, u.ID
	}
	msg, token, err := r.resetMail(to, name, uid, method, secret, now)
	if err != nil {
		return err
	}

	sent := false
	err = r.tx.WithinTx(ctx, func(ctx context.Context) error {
		key := attemptKeyForgot + hashKey(email.String())
		if u != nil && !u.Deactivated() {
			key = attemptKeyResetMail + string(u.ID)
		}
		recent, err := r.attempts.CountSince(ctx, key, now.Add(-time.Hour))
		if err != nil || recent >= resetMailsPerHour && u != nil {
			return err // over the cap: nothing is sent, nothing recorded
		}
		if err := r.attempts.Record(ctx, key, now); err != nil {
			return err
		}
		if u == nil || u.Deactivated() {
			return nil
		}
		if err := r.tokens.Void(ctx, u.ID, now, domain.PurposeResetLink, domain.PurposeResetOTP); err != nil {
			return err
		}
		if err := r.tokens.Create(ctx, token); err != nil {
			return err
		}
		sent = true
		return r.outbox.Enqueue(ctx, msg, now)
	})
	if err != nil {
		return err
	}
	if u != nil {
		r.log.InfoContext(ctx, "password_reset_requested", "user_id", u.ID, "method", string(method), "mail_queued", sent)
	}
	return nil
}

// resetMail renders the reset mail and the token row that goes with it.
func (r *PasswordReset) resetMail(to domain.Email, name string, uid domain.UserID, method ports.ResetMethod, secret domain.Secret, now time.Time) (domain.Message, *domain.OneTimeToken, error) {
	t := &domain.OneTimeToken{ID: r.random.NewID(), UserID: uid, CreatedAt: now}
	d := mailData{Name: name}
	tmpl := "reset_link"
	if method == ports.ResetByOTP {
		t.Purpose, t.Hash, t.ExpiresAt = domain.PurposeResetOTP, r.otpHash(uid, secret), now.Add(r.settings.OTPTTL)
		d.Subject, d.Code, d.Valid, tmpl = "Your password reset code", secret.Reveal(), humanDuration(r.settings.OTPTTL), "reset_otp"
	} else {
		t.Purpose, t.Hash, t.ExpiresAt = domain.PurposeResetLink, secret.Hash(), now.Add(r.settings.ResetTokenTTL)
		d.Subject, d.Valid = "Reset your password", humanDuration(r.settings.ResetTokenTTL)
		d.Link = strings.ReplaceAll(r.settings.ResetPasswordURL, "{token}", secret.Reveal())
	}
	msg, err := renderMail(r.random.NewID(), to, tmpl, d)
	if err != nil {
		return domain.Message{}, nil, fmt.Errorf("forgot: render mail: %w", err)
	}
	return msg, t, nil
}

// Reset sets a new password with a link token or an email and code; see ports.PasswordReset.
func (r *PasswordReset) Reset(ctx context.Context, in ports.ResetInput) error {
	byLink, byOTP := in.Token != "", in.Email != "" || in.OTP != ""
	var inputErr error
	switch {
	case byLink && byOTP:
		inputErr = domain.Validation(domain.FieldError{Field: "token", Message: "must not be sent together with email and otp"})
	case !byLink && !byOTP:
		inputErr = domain.Validation(domain.FieldError{Field: "token", Message: "is required (or email and otp)"})
	case byOTP && in.Email == "":
		inputErr = domain.Validation(domain.FieldError{Field: "email", Message: "is required with otp"})
	case byOTP && in.OTP == "":
		inputErr = domain.Validation(domain.FieldError{Field: "otp", Message: "is required with email"})
	}
	if err := validateAll(
		inputErr,
		r.settings.PasswordPolicy.Check("newPassword", in.NewPassword.Reveal(), domain.Email{}),
		domain.CheckConfirm("newPasswordConfirm", in.NewPassword, in.NewPasswordConfirm),
	); err != nil {
		return err
	}
	// A reset is a guess of a token or code: counted against the client IP
	// before it is judged, taken back when it turns out right.
	att, err := r.guard.beginGuess(ctx, in.Client.IP)
	if err != nil {
		return err
	}
	var u *domain.User
	if byLink {
		u, err = r.resetByLink(ctx, in)
	} else {
		u, err = r.resetByOTP(ctx, in)
	}
	switch {
	case errors.Is(err, domain.ErrInvalidResetToken) || errors.Is(err, domain.ErrInvalidCode):
		return err // a failed guess: stays counted
	case err != nil:
		att.undo(ctx)
		return err
	}
	att.passed(ctx)
	r.guard.clearAccount(ctx, u.Email)
	return nil
}

func (r *PasswordReset) resetByLink(ctx context.Context, in ports.ResetInput) (*domain.User, error) {
	hash, err := r.hasher.Hash(ctx, in.NewPassword)
	if err != nil {
		return nil, fmt.Errorf("reset: hash: %w", err)
	}
	now := r.clock.Now()
	var u *domain.User
	var revoked []domain.SessionID
	err = r.tx.WithinTx(ctx, func(ctx context.Context) error {
		t, err := r.tokens.Consume(ctx, domain.PurposeResetLink, in.Token.Hash(), now)
		if err != nil {
			return err
		}
		if u, err = r.users.ByID(ctx, t.UserID); err != nil {
			return err
		}
		revoked, err = r.complete(ctx, u, in.NewPassword, hash, now)
		return err
	})
	if errors.Is(err, domain.ErrTokenNotFound) || errors.Is(err, domain.ErrUserNotFound) || errors.Is(err, domain.ErrAccountDeactivated) {
		return nil, domain.ErrInvalidResetToken
	}
	return u, r.finish(ctx, u, revoked, "link", err)
}

func (r *PasswordReset) resetByOTP(ctx context.Context, in ports.ResetInput) (*domain.User, error) {
	email, err := domain.ParseEmail(in.Email)
	if err != nil {
		return nil, err
	}
	u, err := r.users.ByEmail(ctx, email)
	if errors.Is(err, domain.ErrUserNotFound) {
		return nil, domain.ErrInvalidCode
	}
	if err != nil {
		return nil, err
	}
	now := r.clock.Now()
	failKey := attemptKeyOTPFailure + string(u.ID)
	failures, err := r.attempts.CountSince(ctx, failKey, now.Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	if u.Deactivated() || failures >= otpMaxFailuresPerHr {
		return nil, domain.ErrInvalidCode
	}
	t, err := r.tokens.Latest(ctx, u.ID, domain.PurposeResetOTP, now)
	if errors.Is(err, domain.ErrTokenNotFound) {
		return nil, r.wrongCode(ctx, u, failKey, now)
	}
	if err != nil {
		return nil, err
	}
	// Count the try before judging it, so parallel guesses cannot exceed the cap.
	counted, err := r.tokens.AddAttempt(ctx, t.ID, otpMaxTries, now)
	if err != nil {
		return nil, err
	}
	expected := r.otpHash(u.ID, in.OTP)
	if !counted || !domain.EqualHashes(t.Hash, expected) {
		return nil, r.wrongCode(ctx, u, failKey, now)
	}
	hash, err := r.hasher.Hash(ctx, in.NewPassword)
	if err != nil {
		return nil, fmt.Errorf("reset: hash: %w", err)
	}
	var revoked []domain.SessionID
	err = r.tx.WithinTx(ctx, func(ctx context.Context) error {
		if _, err := r.tokens.Consume(ctx, domain.PurposeResetOTP, expected, now); err != nil {
			return err
		}
		revoked, err = r.complete(ctx, u, in.NewPassword, hash, now)
		return err
	})
	if errors.Is(err, domain.ErrTokenNotFound) || errors.Is(err, domain.ErrUserNotFound) || errors.Is(err, domain.ErrAccountDeactivated) {
		return nil, domain.ErrInvalidCode
	}
	return u, r.finish(ctx, u, revoked, "otp", err)
}

// wrongCode records a wrong code against the account and answers invalid_code.
func (r *PasswordReset) wrongCode(ctx context.Context, u *domain.User, key string, now time.Time) error {
	if err := r.attempts.Record(ctx, key, now); err != nil {
		return err
	}
	r.log.InfoContext(ctx, "password_reset_failed", "user_id", u.ID, "method", "otp")
	return domain.ErrInvalidCode
}

// complete stores the new password inside the caller's transaction: the email
// counts as verified (the mailbox was just proven), every session ends, every
// other reset secret is voided and the owner is told.
func (r *PasswordReset) complete(ctx context.Context, u *domain.User, password domain.Secret, hash string, now time.Time) ([]domain.SessionID, error) {
	err := r.users.Update(ctx, u.ID, func(cur *domain.User) error {
		// On the fresh row: a reset races with a deactivation or an email change.
		if err := r.settings.PasswordPolicy.Check("newPassword", password.Reveal(), cur.Email); err != nil {
			return err
		}
		return cur.ResetPassword(hash, now)
	})
	if err != nil {
		return nil, err
	}
	revoked, err := r.sessions.RevokeAllForUser(ctx, u.ID, now)
	if err != nil {
		return nil, err
	}
	if err := r.tokens.Void(ctx, u.ID, now, domain.PurposeResetLink, domain.PurposeResetOTP); err != nil {
		return nil, err
	}
	if err := r.events.record(ctx, domain.EventPasswordReset, u.ID, "", ""); err != nil {
		return nil, err
	}
	return revoked, enqueuePasswordNotice(ctx, r.outbox, r.random, u, now)
}

// finish pushes the revocations out to the denylist and logs the change.
func (r *PasswordReset) finish(ctx context.Context, u *domain.User, revoked []domain.SessionID, method string, err error) error {
	if err != nil {
		return err
	}
	if err := r.revocations.deny(ctx, r.clock.Now(), revoked...); err != nil {
		return err
	}
	r.log.InfoContext(ctx, "password_reset", "user_id", u.ID, "method", method, "sessions_revoked", len(revoked))
	return nil
}

// otpHash keys a code with the server secret and the user, so equal codes of two
// users never collide and a stolen table cannot be brute-forced offline.
func (r *PasswordReset) otpHash(uid domain.UserID, code domain.Secret) []byte {
	m := hmac.New(sha256.New, []byte(r.settings.HMACKey.Reveal()))
	m.Write([]byte("reset-otp\x00" + string(uid) + "\x00" + code.Reveal()))
	return m.Sum(nil)
}

// hashKey keeps raw email addresses out of the attempt log.
func hashKey(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

// enqueuePasswordNotice tells the owner their password changed; no secret in it.
func enqueuePasswordNotice(ctx context.Context, outbox ports.Outbox, random ports.Random, u *domain.User, now time.Time) error {
	msg, err := renderMail(random.NewID(), u.Email, "password_changed", mailData{Subject: "Your password was changed", Name: u.Profile.FirstName})
	if err != nil {
		return fmt.Errorf("render notice: %w", err)
	}
	return outbox.Enqueue(ctx, msg, now)
}

// issueLink stores a fresh reset-link token for u in the caller's transaction,
// voiding the earlier ones, and returns the link; nothing is mailed (an
// operator hands it over).
func (r *PasswordReset) issueLink(ctx context.Context, u *domain.User, now time.Time) (string, error) {
	secret, err := r.random.Secret()
	if err != nil {
		return "", fmt.Errorf("reset link: draw token: %w", err)
	}
	if err := r.tokens.Void(ctx, u.ID, now, domain.PurposeResetLink, domain.PurposeResetOTP); err != nil {
		return "", err
	}
	t := &domain.OneTimeToken{ID: r.random.NewID(), Hash: secret.Hash(), Purpose: domain.PurposeResetLink, UserID: u.ID,
		CreatedAt: now, ExpiresAt: now.Add(r.settings.ResetTokenTTL)}
	if err := r.tokens.Create(ctx, t); err != nil {
		return "", err
	}
	return strings.ReplaceAll(r.settings.ResetPasswordURL, "{token}", secret.Reveal()), nil
}
