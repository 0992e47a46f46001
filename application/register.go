package application

import (
	"context"
	"fmt"
	"log/slog"

	"authd/domain"
	"authd/ports"
)

// Registration signs users up: it validates the form, stores the account and
// queues the verification mail in one transaction.
type Registration struct {
	tx       ports.Transactor
	users    ports.UserRepository
	hasher   ports.PasswordHasher
	verifier *EmailVerification
	issuer   *SessionIssuer
	guard    *AbuseGuard
	events   recorder
	random   ports.Random
	clock    ports.Clock
	settings Settings
	log      *slog.Logger
}

var _ ports.Registration = (*Registration)(nil)

// NewRegistration builds the sign-up use case.
func NewRegistration(st Stores, env Env, hasher ports.PasswordHasher, verifier *EmailVerification, issuer *SessionIssuer,
	guard *AbuseGuard) *Registration {
	return &Registration{tx: st.Tx, users: st.Users, hasher: hasher, verifier: verifier, issuer: issuer, guard: guard, events: newRecorder(st, env),
		random: env.Random, clock: env.Clock, settings: env.Settings, log: env.Log}
}

// Register creates the account; see ports.Registration.
func (r *Registration) Register(ctx context.Context, in ports.RegisterInput) (ports.RegisterResult, error) {
	email, emailErr := domain.ParseEmail(in.Email)
	role, roleErr := r.settings.RolePolicy.Resolve(in.Role)
	profile, profileErr := domain.ProfilePatch{}.Apply(in.Profile)
	if err := validateAll(
		emailErr,
		r.settings.PasswordPolicy.Check("password", in.Password.Reveal(), email),
		domain.CheckConfirm("passwordConfirm", in.Password, in.PasswordConfirm),
		roleErr,
		profileErr,
	); err != nil {
		return ports.RegisterResult{}, err
	}
	if err := r.guard.mailRequest(ctx, in.Client.IP); err != nil {
		return ports.RegisterResult{}, err
	}

	hash, err := r.hasher.Hash(ctx, in.Password)
	if err != nil {
		return ports.RegisterResult{}, fmt.Errorf("register: hash password: %w", err)
	}
	now := r.clock.Now()
	u := &domain.User{
		ID:           domain.UserID(r.random.NewID()),
		Email:        email,
		PasswordHash: hash,
		Profile:      profile,
		Role:         role,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	res := ports.RegisterResult{User: u}
	err = r.tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := r.users.Create(ctx, u); err != nil {
			return err
		}
		if err := r.verifier.issue(ctx, u); err != nil {
			return err
		}
		if r.settings.RequireEmailVerification {
			return r.events.record(ctx, domain.EventRegistered, u.ID, "", "")
		}
		tokens, err := r.issuer.Start(ctx, u, in.Client)
		if err != nil {
			return err
		}
		res.Session = &tokens
		return r.events.record(ctx, domain.EventRegistered, u.ID, tokens.SessionID, "")
	})
	if err != nil {
		return ports.RegisterResult{}, err
	}
	r.log.InfoContext(ctx, "user_registered", "user_id", u.ID, "role", u.Role)
	return res, nil
}
