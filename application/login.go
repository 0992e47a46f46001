package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"authd/domain"
	"authd/ports"
)

// Login checks credentials and starts a session. Unknown emails cost the same
// password work as wrong passwords, so neither the answer nor its timing tells
// whether an account exists.
type Login struct {
	tx       ports.Transactor
	users    ports.UserRepository
	tokens   ports.OneTimeTokenRepository
	random   ports.Random
	events   recorder
	hasher   ports.PasswordHasher
	issuer   *SessionIssuer
	guard    *AbuseGuard
	clock    ports.Clock
	settings Settings
	log      *slog.Logger
	metrics  ports.Metrics

	dummyMu   sync.Mutex
	dummyHash string
}

var _ ports.Login = (*Login)(nil)

// NewLogin builds the login use case.
func NewLogin(st Stores, env Env, hasher ports.PasswordHasher, issuer *SessionIssuer, guard *AbuseGuard) *Login {
	return &Login{tx: st.Tx, users: st.Users, tokens: st.Tokens, random: env.Random, events: newRecorder(st, env), hasher: hasher, issuer: issuer,
		guard: guard, clock: env.Clock, settings: env.Settings, log: env.Log, metrics: orNop(env.Metrics)}
}

// Login exchanges credentials for a session; see ports.Login.
func (l *Login) Login(ctx context.Context, in ports.LoginInput) (tokens ports.SessionTokens, err error) {
	defer func() { l.metrics.Login(loginResult(err)) }()
	var missing []domain.FieldError
	if in.Email == "" {
		missing = append(missing, domain.FieldError{Field: "email", Message: "is required"})
	}
	if in.Password == "" {
		missing = append(missing, domain.FieldError{Field: "password", Message: "is required"})
	}
	if err := domain.Validation(missing...); err != nil {
		return ports.SessionTokens{}, err
	}
	email, err := domain.ParseEmail(in.Email)
	if err != nil {
		return ports.SessionTokens{}, err
	}

	// Counted before the password is judged, so parallel guesses cannot pass the
	// limits; the same for unknown emails, so the limit tells nothing.
	att, err := l.guard.beginLogin(ctx, email, in.Client.IP)
	if err != nil {
		return ports.SessionTokens{}, err
	}
	tokens, u, err := l.check(ctx, email, in)
	switch {
	case errors.Is(err, domain.ErrInvalidCredentials):
		att.failedLogin(ctx, u)
	case err != nil, tokens.MFA != nil:
		// A right password of an MFA account clears nothing: its codes are guesses too.
		att.undo(ctx) // right password (not verified, deactivated) or a failure of ours: no guess
	default:
		att.passed(ctx)
	}
	return tokens, err
}

// check judges the credentials and starts the session. It returns the user
// when the account exists, also with invalid_credentials.
func (l *Login) check(ctx context.Context, email domain.Email, in ports.LoginInput) (ports.SessionTokens, *domain.User, error) {
	u, err := l.users.ByEmail(ctx, email)
	if errors.Is(err, domain.ErrUserNotFound) {
		if err := l.burnPasswordWork(ctx, in.Password); err != nil {
			return ports.SessionTokens{}, nil, err
		}
		l.log.InfoContext(ctx, "login_failed", "reason", "unknown_email")
		return ports.SessionTokens{}, nil, domain.ErrInvalidCredentials
	}
	if err != nil {
		return ports.SessionTokens{}, nil, err
	}
	match, rehash, err := l.hasher.Verify(ctx, u.PasswordHash, in.Password)
	if err != nil {
		return ports.SessionTokens{}, nil, fmt.Errorf("login: verify password: %w", err)
	}
	if !match {
		l.log.InfoContext(ctx, "login_failed", "reason", "wrong_password", "user_id", u.ID)
		if err := l.events.record(ctx, domain.EventLoginFailed, u.ID, "", ""); err != nil {
			return ports.SessionTokens{}, u, err
		}
		return ports.SessionTokens{}, u, domain.ErrInvalidCredentials
	}
	if rehash {
		l.upgradeHash(ctx, u, in.Password)
	}
	switch {
	case u.Deactivated():
		return ports.SessionTokens{}, u, domain.ErrAccountDeactivated
	case !u.EmailVerified && l.settings.RequireEmailVerification:
		return ports.SessionTokens{}, u, domain.ErrEmailNotVerified
	case u.MFAEnabled:
		tokens, err := l.challenge(ctx, u)
		return tokens, u, err
	}
	var tokens ports.SessionTokens
	err = l.tx.WithinTx(ctx, func(ctx context.Context) error {
		var err error
		if tokens, err = l.issuer.Start(ctx, u, in.Client); err != nil {
			return err
		}
		if err := l.users.RecordLogin(ctx, u.ID, tokens.IssuedAt); err != nil {
			return err
		}
		return l.events.record(ctx, domain.EventLogin, u.ID, tokens.SessionID, "")
	})
	if err != nil {
		return ports.SessionTokens{}, u, err
	}
	now := tokens.IssuedAt
	u.LastLoginAt = &now
	l.log.InfoContext(ctx, "login", "user_id", u.ID, "session_id", tokens.SessionID)
	return tokens, u, nil
}

// burnPasswordWork verifies password against a hash of a throwaway password with
// the current parameters, so an unknown email costs what a wrong password does.
func (l *Login) burnPasswordWork(ctx context.Context, password domain.Secret) error {
	l.dummyMu.Lock()
	if l.dummyHash == "" {
		h, err := l.hasher.Hash(ctx, "authd timing equaliser, never a real password")
		if err != nil {
			l.dummyMu.Unlock()
			return fmt.Errorf("login: dummy hash: %w", err)
		}
		l.dummyHash = h
	}
	hash := l.dummyHash
	l.dummyMu.Unlock()
	_, _, err := l.hasher.Verify(ctx, hash, password)
	return err
}

// upgradeHash replaces an outdated password hash (bcrypt, older parameters) now
// that the password is known to be right. A failure only delays the upgrade to
// the next login, so it is logged rather than failing the login.
func (l *Login) upgradeHash(ctx context.Context, u *domain.User, password domain.Secret) {
	newHash, err := l.hasher.Hash(ctx, password)
	if err == nil {
		err = l.users.Update(ctx, u.ID, func(cur *domain.User) error {
			cur.UpgradeHash(u.PasswordHash, newHash) // a password changed meanwhile is kept
			return nil
		})
	}
	if err != nil {
		l.log.WarnContext(ctx, "password_rehash_failed", "user_id", u.ID, "error", err)
		return
	}
	u.PasswordHash = newHash
	l.log.InfoContext(ctx, "password_rehashed", "user_id", u.ID)
}
