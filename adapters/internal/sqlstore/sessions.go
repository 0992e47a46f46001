package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"authd/domain"
	"authd/ports"
)

// SessionRepository stores login sessions and their refresh-token hashes in the
// sessions and refresh_tokens tables.
type SessionRepository struct {
	db           *DB
	refreshQuery string // refreshTokenQuery, built once: every refresh runs it
	sessionList  string // sessionsRead, built once
	sessionByID  string // one session by id, read as it is now (ByID, and a spent token's session)
}

var _ ports.SessionRepository = (*SessionRepository)(nil)

// NewSessionRepository returns the session store on db, for wire.
func NewSessionRepository(db *DB) *SessionRepository {
	list := db.d.sessionsRead()
	return &SessionRepository{db: db, refreshQuery: db.d.refreshTokenQuery(), sessionList: list,
		sessionByID: `SELECT ` + list + ` FROM sessions s WHERE s.id = ?`}
}

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

// A rotation writes one row, the next token (Rotate), and never the session:
// the session's last_used_at and refresh_expires_at as stored are those it was
// created with (or that an earlier version's last rotation wrote, or, for the
// refresh expiry, that DeleteExpired brought up to date), and what they are
// now comes from its newest refresh token, the last of its chain (the
// index refresh_tokens_session_newest finds it in one step). A session without
// tokens reads as stored.

// newestToken is the column of the newest refresh token of the session row
// named session.
func newestToken(session, column string) string {
	return `(SELECT x.` + column + ` FROM refresh_tokens x WHERE x.session_id = ` + session + `.id
		ORDER BY x.created_at DESC, x.expires_at DESC LIMIT 1)`
}

// lastUsed and refreshExpiry are the session's last use (the later of its
// stored one and its newest token's creation) and refresh expiry (its newest
// token's), given the expression of the newest token's creation and expiry.
func (d Dialect) lastUsed(session, newestCreated string) string {
	return d.Greatest + `(` + session + `.last_used_at, COALESCE(` + newestCreated + `, ` + session + `.last_used_at))`
}

func refreshExpiry(session, newestExpiry string) string {
	return `COALESCE(` + newestExpiry + `, ` + session + `.refresh_expires_at)`
}

// sessionSelect lists the columns of sessionColumns as they read now, of the
// sessions row named session, each named prefix+column (prefix "s." for a
// struct field tagged db:"s").
func (d Dialect) sessionSelect(session, prefix, newestCreated, newestExpiry string) string {
	return selectList(session, prefix, sessionColumns, map[string]string{
		"last_used_at":       d.lastUsed(session, newestCreated),
		"refresh_expires_at": refreshExpiry(session, newestExpiry),
	})
}

// sessionsRead lists the sessions columns of a query FROM sessions s.
func (d Dialect) sessionsRead() string {
	return d.sessionSelect("s", "", newestToken("s", "created_at"), newestToken("s", "expires_at"))
}

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
	err := r.db.get(ctx, r.db.reader(ctx), &row, r.sessionByID, string(id))
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
// user, in one query; domain.ErrTokenNotFound when there is none. A spent
// token (rare: a replay, or a refresh that lost a race) is not its session's
// newest, so its session is read again as it is now, in a second query.
func (r *SessionRepository) RefreshToken(ctx context.Context, hash []byte) (*domain.RefreshToken, *domain.Session, *domain.User, error) {
	var row struct {
		refreshRow
		S sessionRow `db:"s"`
		U userRow    `db:"u"`
	}
	// A refresh that finds a valid token rotates it: the read goes where that write will.
	err := r.db.readBeforeWrite(ctx, func(ctx context.Context, q sqlx.ExtContext) error {
		if err := r.db.get(ctx, q, &row, r.refreshQuery, hash); err != nil || !row.RotatedAt.Valid {
			return err
		}
		return r.db.get(ctx, q, &row.S, r.sessionByID, row.SessionID)
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

// refreshTokenQuery reads a refresh token with its session and user, without
// a subquery (those cost MariaDB more than the rest of the query, though an
// unspent token never needs them). The token is spent at its rotated_at or at
// the creation of the token that replaces it (n). The session's last use and
// refresh expiry are read as if the token were its newest, which an unspent
// token is; for a spent one RefreshToken reads the session again.
func (d Dialect) refreshTokenQuery() string {
	return `SELECT t.hash, t.session_id, t.created_at, t.expires_at, COALESCE(t.rotated_at, n.created_at) AS rotated_at, ` +
		d.sessionSelect("s", "s.", "t.created_at", "t.expires_at") + `, ` + aliased("u", userColumns) + `
	FROM refresh_tokens t LEFT JOIN refresh_tokens n ON n.replaces = t.hash
		JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
	WHERE t.hash = ?`
}

// aliased lists columns of the table aliased as alias, each named
// "alias.column", which is how sqlx fills a struct field tagged db:"alias".
func aliased(alias, columns string) string { return selectList(alias, alias+".", columns, nil) }

// selectList lists columns of the table named table, each named
// prefix+column, read as table.column or as the expression exprs gives it.
func selectList(table, prefix, columns string, exprs map[string]string) string {
	var b strings.Builder
	for i, c := range strings.Split(columns, ",") {
		c = strings.TrimSpace(c)
		expr, ok := exprs[c]
		if !ok {
			expr = table + "." + c
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(expr + ` AS "` + prefix + c + `"`)
	}
	return b.String()
}

// Rotate stores next as the successor of the token with oldHash, in one
// statement that changes nothing else: the old token is spent by having a
// successor, the session moves on with its newest token, and the unique index
// on replaces lets a token have one successor only, so of concurrent
// rotations exactly one is stored, on every engine and at any isolation level.
// The statement stores next only when the old token is next's session's and
// unspent (no rotated_at, the way earlier versions spent a token); a
// concurrent rotation that stored its successor first makes it store nothing
// (SkipDuplicates) or fail on the unique index. One autocommit statement: no
// BEGIN and COMMIT round trips on a server.
func (r *SessionRepository) Rotate(ctx context.Context, oldHash []byte, next domain.RefreshToken) (bool, error) {
	query := `INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, rotated_at, replaces)
		SELECT ?, t.session_id, ?, ?, ?, t.hash FROM refresh_tokens t
		WHERE t.hash = ? AND t.session_id = ? AND t.rotated_at IS NULL` + r.db.d.SkipDuplicates
	n, err := r.db.exec(ctx, "rotate refresh token", query,
		next.Hash, ms(next.CreatedAt), ms(next.ExpiresAt), nullMS(next.RotatedAt), oldHash, string(next.SessionID))
	if err != nil && r.db.d.UniqueViolation(err, "refresh_tokens", "replaces") {
		return false, nil // a concurrent rotation stored its successor first
	}
	return n == 1 && err == nil, err
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
		if err := r.db.get(ctx, tx, &exp, `SELECT s.expires_at, `+refreshExpiry("s", newestToken("s", "expires_at"))+` AS refresh_expires_at
			FROM sessions s WHERE s.id = ?`, string(id)); err != nil {
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
	return r.list(ctx, "list live sessions", `SELECT `+sessionColumns+` FROM (
			SELECT `+r.sessionList+` FROM sessions s WHERE s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?
		) live WHERE refresh_expires_at > ?
		ORDER BY created_at DESC, id DESC`, string(userID), ms(now), ms(now))
}

// RevokedSince returns the sessions revoked at or after since, oldest revocation
// first, to re-seed the denylist.
func (r *SessionRepository) RevokedSince(ctx context.Context, since time.Time) ([]domain.Session, error) {
	return r.list(ctx, "list revoked sessions", `SELECT `+r.sessionList+` FROM sessions s
		WHERE s.revoked_at >= ? ORDER BY s.revoked_at, s.id`, ms(since))
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
// revocation or refresh expiry) and, by cascade, their refresh tokens, a batch
// at a time and one of the three ends at a time, so that each statement walks
// one index over a bounded range; the count is of sessions only.
//
// Rotations move a refresh expiry later than the stored one, so only a
// session whose stored one has passed is looked at (one whose newest token
// expires sooner, after AUTH_REFRESH_TOKEN_TTL was shortened, is refused at
// once and removed once its stored expiry passes). Those are taken in windows
// of about SweepBatch sessions in the order of their stored refresh expiry:
// in each, the sessions whose newest token has expired are deleted and the
// others, kept alive by rotations, get their stored refresh expiry brought up
// to date (their newest token's), so that each is looked at once, not again by
// every later batch and every later sweep.
func (r *SessionRepository) DeleteExpired(ctx context.Context, cutoff time.Time) (int, error) {
	const op = "delete expired sessions"
	c := ms(cutoff)
	total := 0
	for _, column := range []string{"expires_at", "revoked_at"} {
		n, err := r.db.sweep(ctx, op, "sessions", column, c)
		total += n
		if err != nil {
			return total, err
		}
	}
	newest := refreshExpiry("sessions", newestToken("sessions", "expires_at"))
	window := `refresh_expires_at > ? AND refresh_expires_at <= ? AND ` + newest
	for lo := int64(math.MinInt64); ; {
		// The window ends at the SweepBatch-th stored expiry after lo, or at
		// the last before cutoff.
		var hi int64
		err := r.db.get(ctx, r.db.reader(ctx), &hi, `SELECT refresh_expires_at FROM sessions
			WHERE refresh_expires_at > ? AND refresh_expires_at < ? ORDER BY refresh_expires_at LIMIT 1 OFFSET ?`, lo, c, SweepBatch-1)
		last := errors.Is(err, sql.ErrNoRows)
		if last {
			hi, err = c-1, nil
		}
		if err != nil {
			return total, r.db.fail(ctx, op, err)
		}
		n, err := r.db.exec(ctx, op, `DELETE FROM sessions WHERE `+window+` < ?`, lo, hi, c)
		total += int(n)
		if err == nil {
			_, err = r.db.exec(ctx, op, `UPDATE sessions SET refresh_expires_at = `+newest+` WHERE `+window+` >= ?`, lo, hi, c)
		}
		if err != nil || last {
			return total, err
		}
		lo = hi
	}
}
