package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"authd/domain"
	"authd/ports"
)

// Administration is the admin API and the operator commands: finding accounts,
// closing and reopening them, changing roles, signing users out everywhere.
// The caller's role is read from the store on every call, never from the
// token, so a demoted admin is refused at once; the rules that keep the service
// administrable (no self-lockout, never without an active admin) hold under
// concurrent changes because the admins' rows are locked while they are judged.
type Administration struct {
	tx          ports.Transactor
	users       ports.UserRepository
	sessions    ports.SessionRepository
	tokens      ports.OneTimeTokenRepository
	events      ports.SecurityEventLog
	rec         recorder
	hasher      ports.PasswordHasher
	reset       *PasswordReset
	revocations *Revocations
	random      ports.Random
	clock       ports.Clock
	settings    Settings
	log         *slog.Logger
}

var (
	_ ports.Administration = (*Administration)(nil)
	_ ports.Operators      = (*Administration)(nil)
)

// NewAdministration builds the admin use cases.
func NewAdministration(st Stores, env Env, hasher ports.PasswordHasher, reset *PasswordReset, revocations *Revocations) *Administration {
	return &Administration{tx: st.Tx, users: st.Users, sessions: st.Sessions, tokens: st.Tokens, events: st.Events, rec: newRecorder(st, env),
		hasher: hasher, reset: reset, revocations: revocations, random: env.Random, clock: env.Clock, settings: env.Settings, log: env.Log}
}

// authorize returns the caller's account when its current role is an admin role.
func (a *Administration) authorize(ctx context.Context, p ports.Principal) (*domain.User, error) {
	u, err := currentUser(ctx, a.users, p)
	if err != nil {
		return nil, err
	}
	if !a.settings.RolePolicy.IsAdmin(u.Role) {
		return nil, domain.ErrForbidden
	}
	return u, nil
}

// target loads the account an admin acts on; not_found otherwise.
func (a *Administration) target(ctx context.Context, id domain.UserID) (*domain.User, error) {
	u, err := a.users.ByID(ctx, id)
	if errors.Is(err, domain.ErrUserNotFound) {
		return nil, domain.ErrNotFound
	}
	return u, err
}

// ListUsers returns a page of the admin list; see ports.Administration.
func (a *Administration) ListUsers(ctx context.Context, p ports.Principal, f ports.UserFilter, after domain.UserID, limit int) (ports.UserPage, error) {
	if _, err := a.authorize(ctx, p); err != nil {
		return ports.UserPage{}, err
	}
	f.EmailPrefix = strings.ToLower(strings.TrimSpace(f.EmailPrefix))
	users, err := a.users.List(ctx, f, after, limit+1)
	if err != nil {
		return ports.UserPage{}, err
	}
	page := ports.UserPage{Users: users}
	if len(users) > limit {
		page.Users = users[:limit]
		page.Next = users[limit-1].ID
	}
	return page, nil
}

// User returns one account; see ports.Administration.
func (a *Administration) User(ctx context.Context, p ports.Principal, id domain.UserID) (*domain.User, error) {
	if _, err := a.authorize(ctx, p); err != nil {
		return nil, err
	}
	return a.target(ctx, id)
}

// UpdateUser changes role and profile; see ports.Administration.
func (a *Administration) UpdateUser(ctx context.Context, p ports.Principal, id domain.UserID, patch ports.AdminPatch) (*domain.User, error) {
	caller, err := a.authorize(ctx, p)
	if err != nil {
		return nil, err
	}
	var role domain.Role
	if patch.Role != nil {
		if role, err = a.settings.RolePolicy.Valid(*patch.Role); err != nil {
			return nil, err
		}
	}
	now := a.clock.Now()
	var updated domain.User
	var revoked []domain.SessionID
	err = a.tx.WithinTx(ctx, func(ctx context.Context) error {
		roleChanged := false
		err := a.users.Update(ctx, id, func(u *domain.User) error {
			if patch.Role != nil && role != u.Role {
				if err := a.mayLeaveAdmins(ctx, caller, u, role); err != nil {
					return err
				}
				u.ChangeRole(role, now)
				roleChanged = true
			}
			if err := u.EditProfile(patch.Profile, now); err != nil {
				return err
			}
			updated = *u
			return nil
		})
		if errors.Is(err, domain.ErrUserNotFound) {
			return domain.ErrNotFound
		}
		if err != nil || !roleChanged {
			return err
		}
		// Tokens carry the role: every session ends with the old one.
		if revoked, err = a.sessions.RevokeAllForUser(ctx, id, now); err != nil {
			return err
		}
		return a.rec.record(ctx, domain.EventRoleChanged, id, "", caller.ID)
	})
	if err != nil {
		return nil, err
	}
	if err := a.revocations.deny(ctx, now, revoked...); err != nil {
		return nil, err
	}
	a.log.InfoContext(ctx, "admin_user_updated", "user_id", id, "actor_id", caller.ID, "sessions_revoked", len(revoked))
	return &updated, nil
}

// mayLeaveAdmins refuses a change that takes u out of the active admins
// (demotion or deactivation) when u is the caller or the last active admin.
// Inside the caller's transaction it locks the admins' rows first, so two
// admins demoting each other at once cannot both succeed.
func (a *Administration) mayLeaveAdmins(ctx context.Context, caller, u *domain.User, newRole domain.Role) error {
	pol := a.settings.RolePolicy
	if !pol.IsAdmin(u.Role) || u.Deactivated() || (newRole != "" && pol.IsAdmin(newRole)) {
		return nil
	}
	if caller != nil && caller.ID == u.ID {
		return &domain.Error{Kind: domain.Conflict, Code: domain.ErrConflict.Code, Message: "you cannot remove your own admin access"}
	}
	admins, err := a.users.LockActiveWithRoles(ctx, pol.AdminRoles)
	if err != nil {
		return err
	}
	if len(admins) <= 1 && slices.Contains(admins, u.ID) {
		return &domain.Error{Kind: domain.Conflict, Code: domain.ErrConflict.Code, Message: "the service would be left without an active admin"}
	}
	return nil
}

// Deactivate closes an account; see ports.Administration.
func (a *Administration) Deactivate(ctx context.Context, p ports.Principal, id domain.UserID) error {
	caller, err := a.authorize(ctx, p)
	if err != nil {
		return err
	}
	if caller.ID == id {
		return &domain.Error{Kind: domain.Conflict, Code: domain.ErrConflict.Code, Message: "you cannot deactivate your own account here"}
	}
	now := a.clock.Now()
	var revoked []domain.SessionID
	err = a.tx.WithinTx(ctx, func(ctx context.Context) error {
		err := a.users.Update(ctx, id, func(u *domain.User) error {
			if u.Deactivated() {
				return nil // already closed: nothing to do
			}
			if err := a.mayLeaveAdmins(ctx, caller, u, ""); err != nil {
				return err
			}
			return u.Deactivate(now)
		})
		if errors.Is(err, domain.ErrUserNotFound) {
			return domain.ErrNotFound
		}
		if err != nil {
			return err
		}
		if revoked, err = a.sessions.RevokeAllForUser(ctx, id, now); err != nil {
			return err
		}
		if err := a.tokens.Void(ctx, id, now, domain.PurposeVerifyEmail, domain.PurposeResetLink, domain.PurposeResetOTP,
			domain.PurposeChangeEmail); err != nil {
			return err
		}
		return a.rec.record(ctx, domain.EventDeactivated, id, "", caller.ID)
	})
	if err != nil {
		return err
	}
	if err := a.revocations.deny(ctx, now, revoked...); err != nil {
		return err
	}
	a.log.InfoContext(ctx, "admin_user_deactivated", "user_id", id, "actor_id", caller.ID, "sessions_revoked", len(revoked))
	return nil
}

// Reactivate opens a closed account again; see ports.Administration.
func (a *Administration) Reactivate(ctx context.Context, p ports.Principal, id domain.UserID) error {
	caller, err := a.authorize(ctx, p)
	if err != nil {
		return err
	}
	now := a.clock.Now()
	err = a.tx.WithinTx(ctx, func(ctx context.Context) error {
		err := a.users.Update(ctx, id, func(u *domain.User) error { u.Reactivate(now); return nil })
		if errors.Is(err, domain.ErrUserNotFound) {
			return domain.ErrNotFound
		}
		if err != nil {
			return err
		}
		return a.rec.record(ctx, domain.EventReactivated, id, "", caller.ID)
	})
	if err != nil {
		return err
	}
	a.log.InfoContext(ctx, "admin_user_reactivated", "user_id", id, "actor_id", caller.ID)
	return nil
}

// RevokeSessions ends every session of an account; see ports.Administration.
func (a *Administration) RevokeSessions(ctx context.Context, p ports.Principal, id domain.UserID) error {
	caller, err := a.authorize(ctx, p)
	if err != nil {
		return err
	}
	if _, err := a.target(ctx, id); err != nil {
		return err
	}
	now := a.clock.Now()
	var revoked []domain.SessionID
	err = a.tx.WithinTx(ctx, func(ctx context.Context) error {
		var err error
		if revoked, err = a.sessions.RevokeAllForUser(ctx, id, now); err != nil {
			return err
		}
		return a.rec.record(ctx, domain.EventSessionRevoked, id, "", caller.ID)
	})
	if err != nil {
		return err
	}
	if err := a.revocations.deny(ctx, now, revoked...); err != nil {
		return err
	}
	a.log.InfoContext(ctx, "admin_sessions_revoked", "user_id", id, "actor_id", caller.ID, "sessions_revoked", len(revoked))
	return nil
}

// Events returns a page of an account's history; see ports.Administration.
func (a *Administration) Events(ctx context.Context, p ports.Principal, id domain.UserID, before string, limit int) (ports.EventPage, error) {
	if _, err := a.authorize(ctx, p); err != nil {
		return ports.EventPage{}, err
	}
	if _, err := a.target(ctx, id); err != nil {
		return ports.EventPage{}, err
	}
	return eventPage(ctx, a.events, id, before, limit)
}

// CreateUser creates an account from the command line; see ports.Operators.
func (a *Administration) CreateUser(ctx context.Context, in ports.NewAccount) (*domain.User, string, error) {
	email, emailErr := domain.ParseEmail(in.Email)
	role, roleErr := a.settings.RolePolicy.Valid(in.Role)
	var pwErr error
	password := in.Password
	if in.SendReset {
		// Nobody will type this password: it only keeps the account from having none.
		secret, err := a.random.Secret()
		if err != nil {
			return nil, "", fmt.Errorf("create user: draw placeholder password: %w", err)
		}
		password = secret
	} else {
		pwErr = a.settings.PasswordPolicy.Check("password", password.Reveal(), email)
	}
	if err := validateAll(emailErr, roleErr, pwErr); err != nil {
		return nil, "", err
	}
	hash, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return nil, "", fmt.Errorf("create user: hash password: %w", err)
	}
	now := a.clock.Now()
	u := &domain.User{ID: domain.UserID(a.random.NewID()), Email: email, PasswordHash: hash, Role: role, EmailVerified: true,
		CreatedAt: now, UpdatedAt: now}
	var link string
	err = a.tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := a.users.Create(ctx, u); err != nil {
			return err
		}
		if in.SendReset {
			var err error
			if link, err = a.reset.issueLink(ctx, u, now); err != nil {
				return err
			}
		}
		return a.rec.record(ctx, domain.EventRegistered, u.ID, "", "")
	})
	if err != nil {
		return nil, "", err
	}
	a.log.InfoContext(ctx, "operator_user_created", "user_id", u.ID, "role", u.Role)
	return u, link, nil
}

// SetRole changes an account's role from the command line; see ports.Operators.
func (a *Administration) SetRole(ctx context.Context, rawEmail, rawRole string) (*domain.User, error) {
	email, emailErr := domain.ParseEmail(rawEmail)
	role, roleErr := a.settings.RolePolicy.Valid(rawRole)
	if err := validateAll(emailErr, roleErr); err != nil {
		return nil, err
	}
	u, err := a.users.ByEmail(ctx, email)
	if errors.Is(err, domain.ErrUserNotFound) {
		return nil, domain.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	now := a.clock.Now()
	var updated domain.User
	var revoked []domain.SessionID
	err = a.tx.WithinTx(ctx, func(ctx context.Context) error {
		changed := false
		err := a.users.Update(ctx, u.ID, func(cur *domain.User) error {
			if cur.Role != role {
				if err := a.mayLeaveAdmins(ctx, nil, cur, role); err != nil {
					return err
				}
				cur.ChangeRole(role, now)
				changed = true
			}
			updated = *cur
			return nil
		})
		if err != nil || !changed {
			return err
		}
		if revoked, err = a.sessions.RevokeAllForUser(ctx, u.ID, now); err != nil {
			return err
		}
		return a.rec.record(ctx, domain.EventRoleChanged, u.ID, "", "")
	})
	if err != nil {
		return nil, err
	}
	if err := a.revocations.deny(ctx, now, revoked...); err != nil {
		return nil, err
	}
	a.log.InfoContext(ctx, "operator_role_set", "user_id", u.ID, "role", role)
	return &updated, nil
}
