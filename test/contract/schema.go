package contract

import (
	"testing"
	"time"

	"authd/domain"
)

// Schema checks what a SQL store promises about the rows it keeps, beyond what
// the ports show: cascades and secrets dropped from stored mail. It needs
// Store.SQL.
func Schema(t *testing.T, newStore func(t *testing.T) Store) {
	count := func(t *testing.T, st Store, query string, args ...any) int {
		t.Helper()
		var n int
		must(t, st.SQL.GetContext(ctx(t), &n, st.SQL.Rebind(query), args...), "count")
		return n
	}

	t.Run("deleting a user removes its sessions, refresh tokens and one-time tokens", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		createSession(t, st, u.ID, base)
		must(t, st.Tokens.Create(ctx(t), newToken(u.ID, domain.PurposeVerifyEmail)), "create token")
		_, err := st.SQL.ExecContext(ctx(t), st.SQL.Rebind(`DELETE FROM users WHERE id = ?`), string(u.ID))
		must(t, err, "delete user")
		if n := count(t, st, `SELECT (SELECT COUNT(*) FROM sessions) + (SELECT COUNT(*) FROM refresh_tokens) +
			(SELECT COUNT(*) FROM one_time_tokens)`); n != 0 {
			t.Fatalf("%d rows left after deleting their user", n)
		}
	})

	t.Run("a refresh token spent the way earlier versions did, by rotated_at, stays spent", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		s, old := createSession(t, st, u.ID, base)
		spentAt := base.Add(time.Minute)
		_, err := st.SQL.ExecContext(ctx(t), st.SQL.Rebind(`UPDATE refresh_tokens SET rotated_at = ? WHERE hash = ?`),
			spentAt.UnixMilli(), old.Hash)
		must(t, err, "spend the old way")
		got, _, _, err := st.Sessions.RefreshToken(ctx(t), old.Hash)
		must(t, err, "refresh token")
		sameOptTime(t, "RotatedAt", got.RotatedAt, &spentAt)
		next := domain.RefreshToken{Hash: newHash(), SessionID: s.ID, CreatedAt: base.Add(2 * time.Minute), ExpiresAt: base.Add(time.Hour)}
		ok, err := st.Sessions.Rotate(ctx(t), old.Hash, next)
		must(t, err, "rotate")
		if ok {
			t.Fatal("a token spent by rotated_at was rotated again")
		}
		if n := count(t, st, `SELECT COUNT(*) FROM refresh_tokens WHERE session_id = ?`, string(s.ID)); n != 1 {
			t.Fatalf("%d refresh tokens of the session, want 1", n)
		}
	})

	t.Run("a rotation stores one row, the successor, naming the token it replaces", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		s, old := createSession(t, st, u.ID, base)
		next := domain.RefreshToken{Hash: newHash(), SessionID: s.ID, CreatedAt: base.Add(time.Minute), ExpiresAt: base.Add(time.Hour)}
		ok, err := st.Sessions.Rotate(ctx(t), old.Hash, next)
		must(t, err, "rotate")
		if !ok {
			t.Fatal("rotate of a fresh token reported false")
		}
		if n := count(t, st, `SELECT COUNT(*) FROM refresh_tokens WHERE hash = ? AND replaces = ?`, next.Hash, old.Hash); n != 1 {
			t.Fatal("the successor does not name the token it replaces")
		}
		// A second successor of the same token breaks the unique index: the
		// schema, not only the statement, keeps a chain a chain.
		_, err = st.SQL.ExecContext(ctx(t), st.SQL.Rebind(`INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, replaces)
			VALUES (?, ?, ?, ?, ?)`), newHash(), string(s.ID), base.UnixMilli(), base.UnixMilli(), old.Hash)
		if err == nil {
			t.Fatal("a second successor of one token was stored")
		}
	})

	t.Run("sent and dead messages lose their body and lease, dead ones keep the reason", func(t *testing.T) {
		st := newStore(t)
		sent, dead := enqueue(t, st, 1, base), enqueue(t, st, 2, base)
		_, err := st.Outbox.Claim(ctx(t), base, time.Minute, 10)
		must(t, err, "claim")
		must(t, st.Outbox.MarkSent(ctx(t), sent.ID, base), "mark sent")
		must(t, st.Outbox.MarkDead(ctx(t), dead.ID, base, "550 no such user"), "mark dead")
		if n := count(t, st, `SELECT COUNT(*) FROM outbox
			WHERE subject <> '' OR text_body <> '' OR html_body <> '' OR lease_until IS NOT NULL`); n != 0 {
			t.Fatalf("%d messages keep a body or lease after being sent or given up", n)
		}
		if n := count(t, st, `SELECT COUNT(*) FROM outbox WHERE id = ? AND last_error = ?`, dead.ID, "550 no such user"); n != 1 {
			t.Fatal("the dead message lost its reason")
		}
	})
}
