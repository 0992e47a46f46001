package application

import (
	"context"
	"errors"
	"log/slog"

	"authd/domain"
	"authd/ports"
)

// mfaMethods are the second factors a challenge accepts.
var mfaMethods = []string{"totp", "recovery_code"}

// challenge hands out the token of the code step after a correct password:
// 256 random bits, stored hashed, valid five minutes, at most five tries.
func (l *Login) challenge(ctx context.Context, u *domain.User) (ports.SessionTokens, error) {
	tok, err := l.random.Secret()
	if err != nil {
		return ports.SessionTokens{}, err
	}
	now := l.clock.Now()
	ttl := l.settings.MFATokenTTL
	if ttl <= 0 {
		ttl = domain.MFATokenTTL
	}
	if err := l.tokens.Create(ctx, &domain.OneTimeToken{ID: l.random.NewID(), Hash: tok.Hash(), Purpose: domain.PurposeMFALogin,
		UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
		return ports.SessionTokens{}, err
	}
	l.log.InfoContext(ctx, "login_mfa_required", "user_id", u.ID)
	return ports.SessionTokens{User: u, MFA: &ports.MFAChallenge{Token: tok, Methods: mfaMethods}}, nil
}

// MFALogin is the code step of a login. Every code is a guess counted
// against the account and the client IP before it is judged, like a
// password, so the abuse limits hold across tokens and instances; a TOTP step
// and a recovery code are each spent by one conditional update in the
// transaction that starts the session, so no code ever signs in twice.
type MFALogin struct {
	tx       ports.Transactor
	users    ports.UserRepository
	tokens   ports.OneTimeTokenRepository
	totp     ports.TOTPRepository
	recovery ports.RecoveryCodeRepository
	outbox   ports.Outbox
	events   recorder
	sealer   ports.Sealer
	codes    ports.TOTPCodes
	issuer   *SessionIssuer
	guard    *AbuseGuard
	random   ports.Random
	clock    ports.Clock
	settings Settings
	log      *slog.Logger
}

var _ ports.MFALogin = (*MFALogin)(nil)

// NewMFALogin builds the code step of the login.
func NewMFALogin(st Stores, env Env, sealer ports.Sealer, codes ports.TOTPCodes, issuer *SessionIssuer, guard *AbuseGuard) *MFALogin {
	return &MFALogin{tx: st.Tx, users: st.Users, tokens: st.Tokens, totp: st.TOTP, recovery: st.RecoveryCodes, outbox: st.Outbox,
		events: newRecorder(st, env), sealer: sealer, codes: codes, issuer: issuer, guard: guard, random: env.Random, clock: env.Clock,
		settings: env.Settings, log: env.Log}
}

// LoginMFA redeems the token with a code; see ports.MFALogin.
func (l *MFALogin) LoginMFA(ctx context.Context, in ports.MFALoginInput) (ports.SessionTokens, error) {
	var fe []domain.FieldError
	if in.Token == "" {
		fe = append(fe, domain.FieldError{Field: "mfaToken", Message: "is required"})
	}
	switch {
	case in.Code == "" && in.RecoveryCode == "":
		fe = append(fe, domain.FieldError{Field: "code", Message: "is required (or recoveryCode)"})
	case in.Code != "" && in.RecoveryCode != "":
		fe = append(fe, domain.FieldError{Field: "recoveryCode", Message: "must not be sent together with code"})
	}
	if err := domain.Validation(fe...); err != nil {
		return ports.SessionTokens{}, err
	}

	// An unknown token is a guess of the client IP.
	guess, err := l.guard.beginGuess(ctx, in.Client.IP)
	if err != nil {
		return ports.SessionTokens{}, err
	}
	hash := in.Token.Hash()
	tok, err := l.tokens.Find(ctx, domain.PurposeMFALogin, hash, l.clock.Now())
	if errors.Is(err, domain.ErrTokenNotFound) {
		l.log.InfoContext(ctx, "login_mfa_failed", "reason", "invalid_mfa_token")
		return ports.SessionTokens{}, domain.ErrInvalidMFAToken
	}
	if err != nil {
		guess.undo(ctx)
		return ports.SessionTokens{}, err
	}
	guess.undo(ctx)
	u, err := l.users.ByID(ctx, tok.UserID)
	if errors.Is(err, domain.ErrUserNotFound) {
		return ports.SessionTokens{}, domain.ErrInvalidMFAToken
	}
	if err != nil {
		return ports.SessionTokens{}, err
	}

	// The code is a login attempt of the account: counted before it is judged.
	att, err := l.guard.beginLogin(ctx, u.Email, in.Client.IP)
	if err != nil {
		return ports.SessionTokens{}, err
	}
	tokens, err := l.judge(ctx, u, tok, hash, in)
	switch {
	case errors.Is(err, domain.ErrInvalidCode):
		att.failedLogin(ctx, u)
		if rerr := l.events.record(ctx, domain.EventLoginFailed, u.ID, "", ""); rerr != nil {
			return ports.SessionTokens{}, rerr
		}
		l.log.InfoContext(ctx, "login_mfa_failed", "reason", "wrong_code", "user_id", u.ID)
		return ports.SessionTokens{}, domain.ErrInvalidLoginCode
	case err != nil:
		att.undo(ctx)
		return ports.SessionTokens{}, err
	}
	att.passed(ctx)
	return tokens, nil
}

// judge counts the try against the token, checks the code and, when it is
// right, spends code and token and starts the session in one transaction.
func (l *MFALogin) judge(ctx context.Context, u *domain.User, tok *domain.OneTimeToken, hash []byte, in ports.MFALoginInput) (ports.SessionTokens, error) {
	now := l.clock.Now()
	counted, err := l.tokens.AddAttempt(ctx, tok.ID, domain.MFATokenMaxTries, now)
	if err != nil {
		return ports.SessionTokens{}, err
	}
	if !counted {
		return ports.SessionTokens{}, domain.ErrInvalidMFAToken // used, expired or out of tries
	}
	switch {
	case u.Deactivated():
		return ports.SessionTokens{}, domain.ErrAccountDeactivated
	case !u.MFAEnabled:
		return ports.SessionTokens{}, domain.ErrInvalidMFAToken // switched off meanwhile: log in again
	}
	var step int64
	if in.Code != "" {
		e, err := l.totp.ByUser(ctx, u.ID)
		if errors.Is(err, domain.ErrTOTPNotFound) {
			return ports.SessionTokens{}, domain.ErrInvalidCode
		}
		if err != nil {
			return ports.SessionTokens{}, err
		}
		if !e.Active() {
			return ports.SessionTokens{}, domain.ErrInvalidCode
		}
		secret, err := openTOTP(l.sealer, u.ID, e.Secret)
		if err != nil {
			return ports.SessionTokens{}, err
		}
		var ok bool
		if step, ok = l.codes.Match(secret, in.Code, now); !ok {
			return ports.SessionTokens{}, domain.ErrInvalidCode
		}
	}
	var tokens ports.SessionTokens
	remaining := -1
	err = l.tx.WithinTx(ctx, func(ctx context.Context) error {
		if in.Code != "" {
			used, err := l.totp.UseStep(ctx, u.ID, step, now)
			if err != nil {
				return err
			}
			if !used {
				return domain.ErrInvalidCode // replayed, here or on another instance
			}
		} else {
			used, err := l.recovery.Use(ctx, u.ID, recoveryHash(l.settings.HMACKey, u.ID, in.RecoveryCode), now)
			if err != nil {
				return err
			}
			if !used {
				return domain.ErrInvalidCode // unknown or already used
			}
			if remaining, err = l.recovery.CountUnused(ctx, u.ID); err != nil {
				return err
			}
		}
		if _, err := l.tokens.Consume(ctx, domain.PurposeMFALogin, hash, now); err != nil {
			if errors.Is(err, domain.ErrTokenNotFound) {
				return domain.ErrInvalidMFAToken // spent by a parallel request
			}
			return err
		}
		var err error
		if tokens, err = l.issuer.Start(ctx, u, in.Client); err != nil {
			return err
		}
		if err := l.users.RecordLogin(ctx, u.ID, tokens.IssuedAt); err != nil {
			return err
		}
		if err := l.events.record(ctx, domain.EventLogin, u.ID, tokens.SessionID, ""); err != nil {
			return err
		}
		if remaining < 0 {
			return nil
		}
		if err := l.events.record(ctx, domain.EventMFARecoveryCodeUsed, u.ID, tokens.SessionID, ""); err != nil {
			return err
		}
		return enqueueNotice(ctx, l.outbox, l.random, l.clock, u, "mfa_recovery_code_used", "A recovery code was used", remaining)
	})
	if err != nil {
		return ports.SessionTokens{}, err
	}
	at := tokens.IssuedAt
	u.LastLoginAt = &at
	method := "totp"
	if remaining >= 0 {
		method = "recovery_code"
	}
	l.log.InfoContext(ctx, "login", "user_id", u.ID, "session_id", tokens.SessionID, "mfa", method)
	return tokens, nil
}
