package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"authd/domain"
	"authd/ports"
)

// UserRepository stores accounts in the users table.
type UserRepository struct {
	db *DB
	// versions, when set, is told of every committed change of an account
	// (ports.AccountVersions), so that instances keeping a copy of it learn
	// that theirs is out of date.
	versions ports.AccountVersions
	log      *slog.Logger
}

var _ ports.UserRepository = (*UserRepository)(nil)

// NewUserRepository returns the account store on db, for wire.
func NewUserRepository(db *DB) *UserRepository { return &UserRepository{db: db} }

// VersionedUsers is the account store of s that bumps the account's version in
// versions after every committed change (Update is the only statement that
// changes a stored account: RecordLogin's last_login_at is no part of what a
// copy is kept for). A bump that fails is logged: the change stands, and the
// copies elsewhere age out (see application.Profile).
func VersionedUsers(s *Store, versions ports.AccountVersions, log *slog.Logger) ports.UserRepository {
	return &UserRepository{db: s.DB, versions: versions, log: log}
}

// changed tells versions that the account's change has committed.
func (r *UserRepository) changed(ctx context.Context, id domain.UserID) {
	if r.versions == nil {
		return
	}
	if err := r.versions.Bump(context.WithoutCancel(ctx), id); err != nil && r.log != nil {
		r.log.WarnContext(ctx, "account changed but its version could not be bumped: other instances may show the old profile for up to 30 s",
			"user_id", string(id), "error", err.Error())
	}
}

// userRow is a users row as stored.
type userRow struct {
	ID            string        `db:"id"`
	Email         string        `db:"email"`
	PasswordHash  string        `db:"password_hash"`
	FirstName     string        `db:"first_name"`
	LastName      string        `db:"last_name"`
	Phone         string        `db:"phone"`
	Gender        string        `db:"gender"`
	ProfileImage  string        `db:"profile_image"`
	Role          string        `db:"role"`
	EmailVerified bool          `db:"email_verified"`
	DeactivatedAt sql.NullInt64 `db:"deactivated_at"`
	LastLoginAt   sql.NullInt64 `db:"last_login_at"`
	MFAEnabled    bool          `db:"mfa_enabled"`
	MFAEnabledAt  sql.NullInt64 `db:"mfa_enabled_at"`
	CreatedAt     int64         `db:"created_at"`
	UpdatedAt     int64         `db:"updated_at"`
}

const userColumns = `id, email, password_hash, first_name, last_name, phone, gender, profile_image,
	role, email_verified, deactivated_at, last_login_at, created_at, updated_at, mfa_enabled, mfa_enabled_at`

// user rebuilds the account as stored; stored data is trusted, not validated
// again (a rule tightened later must not make existing accounts unreadable).
func (r userRow) user() *domain.User {
	return &domain.User{
		ID:           domain.UserID(r.ID),
		Email:        domain.EmailFromDatabase(r.Email),
		PasswordHash: r.PasswordHash,
		Profile: domain.Profile{
			FirstName: r.FirstName, LastName: r.LastName, Phone: r.Phone,
			Gender: r.Gender, ProfileImage: r.ProfileImage,
		},
		Role:          domain.Role(r.Role),
		EmailVerified: r.EmailVerified,
		DeactivatedAt: fromNullMS(r.DeactivatedAt),
		LastLoginAt:   fromNullMS(r.LastLoginAt),
		MFAEnabled:    r.MFAEnabled,
		MFAEnabledAt:  fromNullMS(r.MFAEnabledAt),
		CreatedAt:     fromMS(r.CreatedAt),
		UpdatedAt:     fromMS(r.UpdatedAt),
	}
}

// Create stores a new user; domain.ErrEmailTaken when the email is in use.
func (r *UserRepository) Create(ctx context.Context, u *domain.User) error {
	if u.Email.IsZero() {
		return errors.New("create user: email is required")
	}
	_, err := r.db.exec(ctx, "create user", `INSERT INTO users (`+userColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(u.ID), u.Email.String(), u.PasswordHash,
		u.Profile.FirstName, u.Profile.LastName, u.Profile.Phone, u.Profile.Gender, u.Profile.ProfileImage,
		string(u.Role), u.EmailVerified, nullMS(u.DeactivatedAt), nullMS(u.LastLoginAt), ms(u.CreatedAt), ms(u.UpdatedAt),
		u.MFAEnabled, nullMS(u.MFAEnabledAt))
	if r.db.d.UniqueViolation(err, "users", "email") {
		return domain.ErrEmailTaken
	}
	return err
}

// ByID returns domain.ErrUserNotFound when there is no such user.
func (r *UserRepository) ByID(ctx context.Context, id domain.UserID) (*domain.User, error) {
	return r.one(ctx, r.db.reader(ctx), "find user", `SELECT `+userColumns+` FROM users WHERE id = ?`, string(id))
}

// ByEmail returns domain.ErrUserNotFound when no user has the email.
func (r *UserRepository) ByEmail(ctx context.Context, e domain.Email) (*domain.User, error) {
	return r.one(ctx, r.db.reader(ctx), "find user by email", `SELECT `+userColumns+` FROM users WHERE email = ?`, e.String())
}

// one runs a query for at most one user.
func (r *UserRepository) one(ctx context.Context, q sqlx.QueryerContext, op, query string, args ...any) (*domain.User, error) {
	var row userRow
	if err := r.db.get(ctx, q, &row, query, args...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, domain.ErrUserNotFound
		}
		return nil, r.db.fail(ctx, op, err)
	}
	return row.user(), nil
}

// Update loads and locks the user (the dialect's row lock) in a transaction, the
// caller's or a new one, lets fn change it and writes every mutable column
// back, so that concurrent updates of one user apply one after the other;
// fn's error aborts and is returned as is.
func (r *UserRepository) Update(ctx context.Context, id domain.UserID, fn func(*domain.User) error) error {
	return r.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		u, err := r.one(ctx, tx, "load user for update", `SELECT `+userColumns+` FROM users WHERE id = ?`+r.db.d.LockRows, string(id))
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
		if u.Email.IsZero() {
			return errors.New("update user: email is required")
		}
		_, err = r.db.txExec(ctx, tx, `UPDATE users SET email = ?, password_hash = ?,
			first_name = ?, last_name = ?, phone = ?, gender = ?, profile_image = ?,
			role = ?, email_verified = ?, deactivated_at = ?, updated_at = ?,
			mfa_enabled = ?, mfa_enabled_at = ?
			WHERE id = ?`,
			u.Email.String(), u.PasswordHash,
			u.Profile.FirstName, u.Profile.LastName, u.Profile.Phone, u.Profile.Gender, u.Profile.ProfileImage,
			string(u.Role), u.EmailVerified, nullMS(u.DeactivatedAt), ms(u.UpdatedAt),
			u.MFAEnabled, nullMS(u.MFAEnabledAt),
			string(id))
		if r.db.d.UniqueViolation(err, "users", "email") {
			return domain.ErrEmailTaken
		}
		if err != nil {
			return r.db.fail(ctx, "update user", err)
		}
		r.db.afterCommit(ctx, func() { r.changed(ctx, id) })
		return nil
	})
}

// RecordLogin notes the time of the user's latest login.
func (r *UserRepository) RecordLogin(ctx context.Context, id domain.UserID, at time.Time) error {
	_, err := r.db.exec(ctx, "record login", `UPDATE users SET last_login_at = ? WHERE id = ?`, ms(at), string(id))
	return err
}

// List returns one page of the admin list, oldest first (ids are time-ordered).
func (r *UserRepository) List(ctx context.Context, f ports.UserFilter, after domain.UserID, limit int) ([]domain.User, error) {
	where, args := []string{"id > ?"}, []any{string(after)}
	if f.EmailPrefix != "" {
		where, args = append(where, `email LIKE ? ESCAPE '!'`), append(args, likePrefix(f.EmailPrefix))
	}
	if f.Role != "" {
		where, args = append(where, "role = ?"), append(args, string(f.Role))
	}
	switch f.Status {
	case ports.StatusActive:
		where = append(where, "deactivated_at IS NULL AND email_verified = ?")
		args = append(args, true)
	case ports.StatusUnverified:
		where = append(where, "deactivated_at IS NULL AND email_verified = ?")
		args = append(args, false)
	case ports.StatusDeactivated:
		where = append(where, "deactivated_at IS NOT NULL")
	}
	args = append(args, limit)
	var rows []userRow
	if err := r.db.sel(ctx, r.db.reader(ctx), &rows, `SELECT `+userColumns+` FROM users WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id LIMIT ?`, args...); err != nil {
		return nil, r.db.fail(ctx, "list users", err)
	}
	out := make([]domain.User, len(rows))
	for i, row := range rows {
		out[i] = *row.user()
	}
	return out, nil
}

// likePrefix escapes LIKE's wildcards in p and matches what starts with it.
func likePrefix(p string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(p) + "%"
}

// LockActiveWithRoles reads (and, in a transaction, locks with the dialect's
// row lock) the active holders of roles.
func (r *UserRepository) LockActiveWithRoles(ctx context.Context, roles []domain.Role) ([]domain.UserID, error) {
	if len(roles) == 0 {
		return nil, nil
	}
	args := make([]any, len(roles))
	for i, role := range roles {
		args[i] = string(role)
	}
	lock := ""
	if r.db.tx(ctx) != nil {
		lock = r.db.d.LockRows
	}
	var ids []domain.UserID
	if err := r.db.sel(ctx, r.db.reader(ctx), &ids, `SELECT id FROM users WHERE deactivated_at IS NULL AND role IN (`+
		placeholders(len(roles))+`) ORDER BY id`+lock, args...); err != nil {
		return nil, r.db.fail(ctx, "lock role holders", err)
	}
	return ids, nil
}
