package application

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"authd/domain"
	"authd/ports"
)

// MFA switches multi-factor sign-in on and off. The TOTP secret is sealed
// (ports.Sealer, AUTH_KEY_ENCRYPTION_KEY) before it is stored and shown only
// when the enrolment starts; recovery codes are stored as keyed hashes and
// shown only when they are made.
type MFA struct {
	tx       ports.Transactor
	users    ports.UserRepository
	totp     ports.TOTPRepository
	recovery ports.RecoveryCodeRepository
	outbox   ports.Outbox
	events   recorder
	hasher   ports.PasswordHasher
	sealer   ports.Sealer
	codes    ports.TOTPCodes
	random   ports.Random
	clock    ports.Clock
	settings Settings
	log      *slog.Logger
}

var _ ports.MFA = (*MFA)(nil)

// NewMFA builds the multi-factor enrolment use cases.
func NewMFA(st Stores, env Env, hasher ports.PasswordHasher, sealer ports.Sealer, codes ports.TOTPCodes) *MFA {
	return &MFA{tx: st.Tx, users: st.Users, totp: st.TOTP, recovery: st.RecoveryCodes, outbox: st.Outbox, events: newRecorder(st, env),
		hasher: hasher, sealer: sealer, codes: codes, random: env.Random, clock: env.Clock, settings: env.Settings, log: env.Log}
}

// StartTOTP draws a new pending secret; see ports.MFA.
func (m *MFA) StartTOTP(ctx context.Context, p ports.Principal, password domain.Secret) (ports.MFAEnrolment, error) {
	u, err := currentUser(ctx, m.users, p)
	if err != nil {
		return ports.MFAEnrolment{}, err
	}
	if err := checkPassword(ctx, m.hasher, u, password); err != nil {
		return ports.MFAEnrolment{}, err
	}
	if u.MFAEnabled {
		return ports.MFAEnrolment{}, domain.ErrMFAEnabled
	}
	raw, err := randomBytes(m.random, domain.TOTPSecretBytes)
	if err != nil {
		return ports.MFAEnrolment{}, err
	}
	secret := domain.Secret(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
	sealed, err := m.sealer.Seal([]byte(secret.Reveal()), totpSealContext(u.ID))
	if err != nil {
		return ports.MFAEnrolment{}, fmt.Errorf("mfa: seal secret: %w", err)
	}
	now := m.clock.Now()
	err = m.tx.WithinTx(ctx, func(ctx context.Context) error {
		// The user's row is read again under its lock: MFA switched on meanwhile refuses.
		if err := m.users.Update(ctx, u.ID, func(cur *domain.User) error {
			if cur.MFAEnabled {
				return domain.ErrMFAEnabled
			}
			return nil
		}); err != nil {
			return err
		}
		return m.totp.Update(ctx, u.ID, func(e *domain.TOTPEnrolment) error { return e.Start(sealed, now) })
	})
	if err != nil {
		return ports.MFAEnrolment{}, err
	}
	m.log.InfoContext(ctx, "mfa_enrolment_started", "user_id", u.ID)
	return ports.MFAEnrolment{Secret: secret, OTPAuthURI: otpauthURI(m.settings.MFAIssuer, u.Email.String(), secret)}, nil
}

// ConfirmTOTP activates the pending secret; see ports.MFA.
func (m *MFA) ConfirmTOTP(ctx context.Context, p ports.Principal, code domain.Secret) ([]domain.Secret, error) {
	if code == "" {
		return nil, domain.Validation(domain.FieldError{Field: "code", Message: "is required"})
	}
	u, err := currentUser(ctx, m.users, p)
	if err != nil {
		return nil, err
	}
	if u.MFAEnabled {
		return nil, domain.ErrMFAEnabled
	}
	e, err := m.totp.ByUser(ctx, u.ID)
	if err == nil && e.Pending == nil {
		err = domain.ErrTOTPNotFound
	}
	if err != nil {
		if errors.Is(err, domain.ErrTOTPNotFound) {
			return nil, domain.ErrInvalidCode
		}
		return nil, err
	}
	secret, err := m.open(u.ID, e.Pending)
	if err != nil {
		return nil, err
	}
	step, ok := m.codes.Match(secret, code, m.clock.Now())
	if !ok {
		m.log.InfoContext(ctx, "mfa_confirm_failed", "user_id", u.ID)
		return nil, domain.ErrInvalidCode
	}
	plain, set, err := m.newRecoverySet(u.ID)
	if err != nil {
		return nil, err
	}
	now := m.clock.Now()
	err = m.tx.WithinTx(ctx, func(ctx context.Context) error {
		var cur domain.User
		if err := m.users.Update(ctx, u.ID, func(x *domain.User) error {
			if x.MFAEnabled {
				return domain.ErrMFAEnabled
			}
			if err := x.EnableMFA(now); err != nil {
				return err
			}
			cur = *x
			return nil
		}); err != nil {
			return err
		}
		if err := m.totp.Update(ctx, u.ID, func(x *domain.TOTPEnrolment) error {
			if !domain.EqualHashes(x.Pending, e.Pending) {
				return domain.ErrInvalidCode // restarted meanwhile: the code was for the old secret
			}
			if step <= x.LastStep {
				return domain.ErrInvalidCode // a code already accepted once
			}
			return x.Confirm(step, now)
		}); err != nil {
			return err
		}
		if err := m.recovery.Replace(ctx, u.ID, set); err != nil {
			return err
		}
		if err := m.events.record(ctx, domain.EventMFAEnabled, u.ID, p.SessionID, ""); err != nil {
			return err
		}
		return m.notice(ctx, &cur, "mfa_enabled", "Multi-factor sign-in is on", 0)
	})
	if err != nil {
		return nil, err
	}
	m.log.InfoContext(ctx, "mfa_enabled", "user_id", u.ID)
	return plain, nil
}

// DisableTOTP switches multi-factor sign-in off; see ports.MFA.
func (m *MFA) DisableTOTP(ctx context.Context, p ports.Principal, password, code domain.Secret) error {
	if code == "" {
		return domain.Validation(domain.FieldError{Field: "code", Message: "is required"})
	}
	u, err := currentUser(ctx, m.users, p)
	if err != nil {
		return err
	}
	if err := checkPassword(ctx, m.hasher, u, password); err != nil {
		return err
	}
	if !u.MFAEnabled {
		return domain.ErrMFANotEnabled
	}
	e, err := m.totp.ByUser(ctx, u.ID)
	if err != nil {
		return err
	}
	secret, err := m.open(u.ID, e.Secret)
	if err != nil {
		return err
	}
	step, ok := m.codes.Match(secret, code, m.clock.Now())
	if !ok {
		m.log.InfoContext(ctx, "mfa_disable_failed", "user_id", u.ID)
		return domain.ErrInvalidCode
	}
	now := m.clock.Now()
	err = m.tx.WithinTx(ctx, func(ctx context.Context) error {
		used, err := m.totp.UseStep(ctx, u.ID, step, now)
		if err != nil {
			return err
		}
		if !used {
			return domain.ErrInvalidCode // a replayed code
		}
		return m.switchOff(ctx, u.ID, now, domain.EventMFADisabled, p.SessionID, "", "mfa_disabled", "Multi-factor sign-in is off")
	})
	if err != nil {
		return err
	}
	m.log.InfoContext(ctx, "mfa_disabled", "user_id", u.ID)
	return nil
}

// switchOff clears the account's second factors, records typ and mails the
// notice template; inside the caller's transaction.
func (m *MFA) switchOff(ctx context.Context, id domain.UserID, now time.Time, typ domain.EventType, sid domain.SessionID,
	actor domain.UserID, template, subject string) error {
	var cur domain.User
	if err := m.users.Update(ctx, id, func(x *domain.User) error {
		if !x.MFAEnabled {
			return domain.ErrMFANotEnabled
		}
		x.DisableMFA(now)
		cur = *x
		return nil
	}); err != nil {
		return err
	}
	if err := m.totp.Update(ctx, id, func(x *domain.TOTPEnrolment) error {
		if x.Active() {
			return x.Disable(now)
		}
		x.Pending, x.PendingAt, x.UpdatedAt = nil, nil, now
		return nil
	}); err != nil {
		return err
	}
	if err := m.recovery.DeleteAll(ctx, id); err != nil {
		return err
	}
	if err := m.events.record(ctx, typ, id, sid, actor); err != nil {
		return err
	}
	return m.notice(ctx, &cur, template, subject, 0)
}

// RegenerateRecoveryCodes replaces the recovery codes; see ports.MFA.
func (m *MFA) RegenerateRecoveryCodes(ctx context.Context, p ports.Principal, password domain.Secret) ([]domain.Secret, error) {
	u, err := currentUser(ctx, m.users, p)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(ctx, m.hasher, u, password); err != nil {
		return nil, err
	}
	if !u.MFAEnabled {
		return nil, domain.ErrMFANotEnabled
	}
	plain, set, err := m.newRecoverySet(u.ID)
	if err != nil {
		return nil, err
	}
	err = m.tx.WithinTx(ctx, func(ctx context.Context) error {
		var cur domain.User
		if err := m.users.Update(ctx, u.ID, func(x *domain.User) error {
			if !x.MFAEnabled {
				return domain.ErrMFANotEnabled
			}
			cur = *x
			return nil
		}); err != nil {
			return err
		}
		if err := m.recovery.Replace(ctx, u.ID, set); err != nil {
			return err
		}
		if err := m.events.record(ctx, domain.EventMFARecoveryCodesRegenerated, u.ID, p.SessionID, ""); err != nil {
			return err
		}
		return m.notice(ctx, &cur, "mfa_recovery_codes_regenerated", "New recovery codes for your account", 0)
	})
	if err != nil {
		return nil, err
	}
	m.log.InfoContext(ctx, "mfa_recovery_codes_regenerated", "user_id", u.ID)
	return plain, nil
}

// open unseals a stored TOTP secret of the account.
func (m *MFA) open(id domain.UserID, sealed domain.SealedSecret) (domain.Secret, error) {
	return openTOTP(m.sealer, id, sealed)
}

func openTOTP(sealer ports.Sealer, id domain.UserID, sealed domain.SealedSecret) (domain.Secret, error) {
	plain, err := sealer.Open(sealed, totpSealContext(id))
	if err != nil {
		return "", fmt.Errorf("mfa: open secret: %w", err)
	}
	return domain.Secret(plain), nil
}

// notice queues a mail to the account's owner; no secret in it.
func (m *MFA) notice(ctx context.Context, u *domain.User, template, subject string, remaining int) error {
	return enqueueNotice(ctx, m.outbox, m.random, m.clock, u, template, subject, remaining)
}

func enqueueNotice(ctx context.Context, outbox ports.Outbox, random ports.Random, clock ports.Clock, u *domain.User, template, subject string, remaining int) error {
	msg, err := renderMail(random.NewID(), u.Email, template, mailData{Subject: subject, Name: u.Profile.FirstName, Remaining: remaining})
	if err != nil {
		return fmt.Errorf("mfa: render %s: %w", template, err)
	}
	return outbox.Enqueue(ctx, msg, clock.Now())
}

// newRecoverySet draws a set of recovery codes: the codes to show once, and
// their stored form.
func (m *MFA) newRecoverySet(id domain.UserID) ([]domain.Secret, []domain.RecoveryCode, error) {
	now := m.clock.Now()
	plain := make([]domain.Secret, domain.RecoveryCodeCount)
	set := make([]domain.RecoveryCode, domain.RecoveryCodeCount)
	for i := range plain {
		raw, err := randomBytes(m.random, 7)
		if err != nil {
			return nil, nil, err
		}
		// 10 base32 characters: 50 random bits, in two groups of five.
		s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))[:10]
		plain[i] = domain.Secret(s[:5] + "-" + s[5:])
		set[i] = domain.RecoveryCode{ID: m.random.NewID(), UserID: id, Hash: recoveryHash(m.settings.HMACKey, id, plain[i]), CreatedAt: now}
	}
	return plain, set, nil
}

// recoveryHash keys a recovery code with the server secret and the account,
// so a stolen table cannot be searched offline and equal codes never collide.
func recoveryHash(key domain.Secret, id domain.UserID, code domain.Secret) []byte {
	h := hmac.New(sha256.New, []byte(key.Reveal()))
	h.Write([]byte("recovery-code\x00" + string(id) + "\x00" + domain.NormaliseRecoveryCode(code.Reveal())))
	return h.Sum(nil)
}

// randomBytes returns n bytes drawn from the CSPRNG (n ≤ 32): the hash of a
// fresh 256-bit secret, which keeps all of its randomness.
func randomBytes(r ports.Random, n int) ([]byte, error) {
	s, err := r.Secret()
	if err != nil {
		return nil, fmt.Errorf("mfa: draw secret: %w", err)
	}
	h := sha256.Sum256([]byte(s.Reveal()))
	return h[:n], nil
}

// totpSealContext binds a sealed secret to its account.
func totpSealContext(id domain.UserID) string { return "totp:" + string(id) }

// otpauthURI is the key URI authenticator apps read (usually from a QR code).
func otpauthURI(issuer, email string, secret domain.Secret) domain.Secret {
	if issuer == "" {
		issuer = "authd"
	}
	label := url.PathEscape(issuer) + ":" + url.PathEscape(email)
	return domain.Secret("otpauth://totp/" + label + "?secret=" + secret.Reveal() + "&issuer=" + url.QueryEscape(issuer) +
		"&algorithm=SHA1&digits=6&period=30")
}
