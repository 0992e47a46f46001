package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"authd/domain"
	"authd/ports"
)

// SessionRepository stores login sessions and their refresh-token hashes in the
// sessions and refresh_tokens tables.
type SessionRepository struct{ db *DB }

var _ ports.SessionRepository = (*SessionRepository)(nil)

// NewSessionRepository returns the session store on db, for wire.
func NewSessionRepository(db *DB) *SessionRepository { return &SessionRepository{db: db} }

// sessionRow is a sessions row as stored.
type sessionRow struct {
	ID               string        `db:"id"`
	UserID           string        `db:"user_id"`
	CreatedAt        int64         `db:"created_at"`
	LastUsedAt       int64         `db:"last_used_at"`
	ExpiresAt        int64         `db:"expires_at"`
	RefreshExpiresAt int64         `db:"refresh_expires_at"`
	RevokedAt        sql.NullInt64 `db:"revoked_at"`
	UserAgent        string        `db:"user_agent"`
	IP               string        `db:"ip"`
}

const sessionColumns = `id, user_id, created_at, last_used_at, expires_at, refresh_expires_at, revoked_at, user_agent, ip`

func (r sessionRow) session() domain.Session {
	return domain.Session{
		ID:               domain.SessionID(r.ID),
		UserID:           domain.UserID(r.UserID),
		CreatedAt:        fromMS(r.CreatedAt),
		LastUsedAt:       fromMS(r.LastUsedAt),
		ExpiresAt:        fromMS(r.ExpiresAt),
		RefreshExpiresAt: fromMS(r.RefreshExpiresAt),
		RevokedAt:        fromNullMS(r.RevokedAt),
		UserAgent:        r.UserAgent,
		IP:               r.IP,
	}
}

// refreshRow is a refresh_tokens row as stored.
type refreshRow struct {
	Hash      []byte        `db:"hash"`
	SessionID string        `db:"session_id"`
	CreatedAt int64         `db:"created_at"`
	ExpiresAt int64         `db:"expires_at"`
	RotatedAt sql.NullInt64 `db:"rotated_at"`
}

func (r refreshRow) token() domain.RefreshToken {
	return domain.RefreshToken{
		Hash:      r.Hash,
		SessionID: domain.SessionID(r.SessionID),
		CreatedAt: fromMS(r.CreatedAt),
		ExpiresAt: fromMS(r.ExpiresAt),
		RotatedAt: fromNullMS(r.RotatedAt),
	}
}

// insertRefresh stores one refresh token of session.
func (r *SessionRepository) insertRefresh(ctx context.Context, tx *sqlx.Tx, session domain.SessionID, t domain.RefreshToken) error {
	_, err := r.db.txExec(ctx, tx, `INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, rotated_at)
		VALUES (?, ?, ?, ?, ?)`, t.Hash, string(session), ms(t.CreatedAt), ms(t.ExpiresAt), nullMS(t.RotatedAt))
	return err
}

// Create stores a new session together with its first refresh token, in one
// transaction (the caller's when there is one).
func (r *SessionRepository) Create(ctx context.Context, s *domain.Session, first domain.RefreshToken) error {
	return r.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		_, err := r.db.txExec(ctx, tx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(s.ID), string(s.UserID), ms(s.CreatedAt), ms(s.LastUsedAt), ms(s.ExpiresAt),
			ms(s.RefreshExpiresAt), nullMS(s.RevokedAt), r.db.d.text(s.UserAgent), r.db.d.text(s.IP))
		if err != nil {
			return r.db.fail(ctx, "create session", err)
		}
		return r.db.fail(ctx, "create session", r.insertRefresh(ctx, tx, s.ID, first))
	})
}

// ByID returns domain.ErrSessionNotFound when there is no such session.
func (r *SessionRepository) ByID(ctx context.Context, id domain.SessionID) (*domain.Session, error) {
	var row sessionRow
	err := r.db.get(ctx, r.db.reader(ctx), &row, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, string(id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrSessionNotFound
	}
	if err != nil {
		return nil, r.db.fail(ctx, "find session", err)
	}
	s := row.session()
	return &s, nil
}

// RefreshToken finds a refresh token by its hash, with its session and its
// user, in one query; domain.ErrTokenNotFound when there is none.
func (r *SessionRepository) RefreshToken(ctx context.Context, hash []byte) (*domain.RefreshToken, *domain.Session, *domain.User, error) {
	var row struct {
		refreshRow
		S sessionRow `db:"s"`
		U userRow    `db:"u"`
	}
	// A refresh that finds a valid token rotates it: the read goes where that write will.
	err := r.db.readBeforeWrite(ctx, func(ctx context.Context, q sqlx.ExtContext) error {
		return r.db.get(ctx, q, &row, refreshTokenQuery, hash)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil, domain.ErrTokenNotFound
	}
	if err != nil {
		return nil, nil, nil, r.db.fail(ctx, "find refresh token", err)
	}
	t, s := row.token(), row.S.session()
	return &t, &s, row.U.user(), nil
}

// refreshTokenQuery reads a refresh token with its session and user; built
// once, since every refresh runs it.
var refreshTokenQuery = `SELECT t.hash, t.session_id, t.created_at, t.expires_at, t.rotated_at, ` +
	aliased("s", sessionColumns) + `, ` + aliased("u", userColumns) + `
	FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
	WHERE t.hash = ?`

// aliased lists columns of the table aliased as alias, each named
// "alias.column", which is how sqlx fills a struct field tagged db:"alias".
func aliased(alias, columns string) string {
	var b strings.Builder
	for i, c := range strings.Split(columns, ",") {
		c = strings.TrimSpace(c)
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(alias + "." + c + ` AS "` + alias + "." + c + `"`)
	}
	return b.String()
}

// Rotate spends the token with oldHash by a conditional update (only an
// unrotated token of next's session can be spent; every engine evaluates the
// condition on the latest row under its write lock, so of concurrent rotations
// exactly one wins), then moves the session on and stores next for the same
// session, as one atomic unit in the engine's way (Dialect.Rotation). It
// reports false, changing nothing, when the old token is unknown, already
// rotated or another session's.
func (r *SessionRepository) Rotate(ctx context.Context, oldHash []byte, next domain.RefreshToken, now time.Time) (bool, error) {
	session := string(next.SessionID)
	if r.db.d.Rotation == RotateOneStatement {
		n, err := r.db.exec(ctx, "rotate refresh token", `WITH spent AS (
				UPDATE refresh_tokens SET rotated_at = ? WHERE hash = ? AND session_id = ? AND rotated_at IS NULL
				RETURNING session_id
			), moved AS (
				UPDATE sessions SET last_used_at = ?, refresh_expires_at = ? WHERE id IN (SELECT session_id FROM spent)
				RETURNING id
			)
			INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, rotated_at)
			SELECT CAST(? AS BYTEA), id, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT) FROM moved`,
			ms(now), oldHash, session, ms(now), ms(next.ExpiresAt),
			next.Hash, ms(next.CreatedAt), ms(next.ExpiresAt), nullMS(next.RotatedAt))
		return n == 1 && err == nil, err
	}
	won := false
	err := r.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		won = false
		if r.db.d.Rotation == RotateJoinedUpdate {
			// Both rows change when the token matches (its rotated_at was
			// NULL); none when it does not.
			n, err := r.db.txExec(ctx, tx, `UPDATE refresh_tokens t JOIN sessions s ON s.id = t.session_id
				SET t.rotated_at = ?, s.last_used_at = ?, s.refresh_expires_at = ?
				WHERE t.hash = ? AND t.session_id = ? AND t.rotated_at IS NULL`,
				ms(now), ms(now), ms(next.ExpiresAt), oldHash, session)
			if err != nil || n == 0 {
				return r.db.fail(ctx, "rotate refresh token", err)
			}
		} else {
			n, err := r.db.txExec(ctx, tx, `UPDATE refresh_tokens SET rotated_at = ? WHERE hash = ? AND session_id = ? AND rotated_at IS NULL`,
				ms(now), oldHash, session)
			if err != nil || n != 1 {
				return r.db.fail(ctx, "rotate refresh token", err)
			}
			// The session row next, then the new token (whose foreign key
			// check reads the session row): every rotation takes its locks in
			// this order.
			if _, err := r.db.txExec(ctx, tx, `UPDATE sessions SET last_used_at = ?, refresh_expires_at = ? WHERE id = ?`,
				ms(now), ms(next.ExpiresAt), session); err != nil {
				return r.db.fail(ctx, "rotate refresh token", err)
			}
		}
		if err := r.insertRefresh(ctx, tx, next.SessionID, next); err != nil {
			return r.db.fail(ctx, "rotate refresh token", err)
		}
		won = true
		return nil
	})
	return won && err == nil, err
}

// Revoke marks the session revoked at now unless it already is (a conditional
// update), and reports whether it was live before; an unknown session reports
// false.
func (r *SessionRepository) Revoke(ctx context.Context, id domain.SessionID, now time.Time) (bool, error) {
	wasLive := false
	err := r.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		wasLive = false
		n, err := r.db.txExec(ctx, tx, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, ms(now), string(id))
		if err != nil || n != 1 {
			return r.db.fail(ctx, "revoke session", err)
		}
		var exp struct {
			ExpiresAt        int64 `db:"expires_at"`
			RefreshExpiresAt int64 `db:"refresh_expires_at"`
		}
		if err := r.db.get(ctx, tx, &exp, `SELECT expires_at, refresh_expires_at FROM sessions WHERE id = ?`, string(id)); err != nil {
			return r.db.fail(ctx, "revoke session", err)
		}
		wasLive = ms(now) < exp.ExpiresAt && ms(now) < exp.RefreshExpiresAt
		return nil
	})
	return wasLive && err == nil, err
}

// RevokeAllForUser revokes every unrevoked session of the user at now and
// returns their ids: it locks them (the dialect's row lock) and revokes exactly
// those, so concurrent calls never both report one session.
func (r *SessionRepository) RevokeAllForUser(ctx context.Context, userID domain.UserID, now time.Time) ([]domain.SessionID, error) {
	var ids []domain.SessionID
	err := r.db.write(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		ids = ids[:0]
		if err := r.db.sel(ctx, tx, &ids, `SELECT id FROM sessions
			WHERE user_id = ? AND revoked_at IS NULL ORDER BY id`+r.db.d.LockRows, string(userID)); err != nil {
			return r.db.fail(ctx, "revoke sessions of user", err)
		}
		if len(ids) == 0 {
			return nil
		}
		args := make([]any, 0, len(ids)+1)
		args = append(args, ms(now))
		for _, id := range ids {
			args = append(args, string(id))
		}
		_, err := r.db.txExec(ctx, tx, `UPDATE sessions SET revoked_at = ? WHERE id IN (`+placeholders(len(ids))+`)`, args...)
		return r.db.fail(ctx, "revoke sessions of user", err)
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// ListLive returns the user's sessions that are live at now, newest first.
func (r *SessionRepository) ListLive(ctx context.Context, userID domain.UserID, now time.Time) ([]domain.Session, error) {
	return r.list(ctx, "list live sessions", `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? AND refresh_expires_at > ?
		ORDER BY created_at DESC, id DESC`, string(userID), ms(now), ms(now))
}

// RevokedSince returns the sessions revoked at or after since, oldest revocation
// first, to re-seed the denylist.
func (r *SessionRepository) RevokedSince(ctx context.Context, since time.Time) ([]domain.Session, error) {
	return r.list(ctx, "list revoked sessions", `SELECT `+sessionColumns+` FROM sessions
		WHERE revoked_at >= ? ORDER BY revoked_at, id`, ms(since))
}

// list runs a query for many sessions.
func (r *SessionRepository) list(ctx context.Context, op, query string, args ...any) ([]domain.Session, error) {
	var rows []sessionRow
	if err := r.db.sel(ctx, r.db.reader(ctx), &rows, query, args...); err != nil {
		return nil, r.db.fail(ctx, op, err)
	}
	out := make([]domain.Session, len(rows))
	for i, row := range rows {
		out[i] = row.session()
	}
	return out, nil
}

// DeleteExpired removes the sessions that ended before cutoff (absolute limit,
// refresh expiry or revocation) and, by cascade, their refresh tokens; the
// count is of sessions only.
func (r *SessionRepository) DeleteExpired(ctx context.Context, cutoff time.Time) (int, error) {
	c := ms(cutoff)
	n, err := r.db.exec(ctx, "delete expired sessions", `DELETE FROM sessions
		WHERE expires_at < ? OR refresh_expires_at < ? OR revoked_at < ?`, c, c, c)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}
