package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"authd/adapters/internal/stmtcache"
)

func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	open := func(t *testing.T) *sql.Conn {
		pool, err := openPool("file:"+filepath.Join(t.TempDir(), "cache.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pool.Close() })
		conn, err := pool.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		if _, err := conn.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
			t.Fatal(err)
		}
		return conn
	}
	cached := func(t *testing.T, conn *sql.Conn) int {
		n := 0
		if err := conn.Raw(func(dc any) error { n = dc.(*stmtcache.Conn).Len(); return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("prepares a query once and runs it again with other arguments", func(t *testing.T) {
		conn := open(t)
		before := cached(t, conn)
		for i := range 20 {
			if _, err := conn.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, i, fmt.Sprint("v", i)); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 20 {
			var v string
			if err := conn.QueryRowContext(ctx, `SELECT v FROM t WHERE id = ?`, i).Scan(&v); err != nil || v != fmt.Sprint("v", i) {
				t.Fatalf("row %d: %q, %v", i, v, err)
			}
		}
		if got := cached(t, conn) - before; got != 2 {
			t.Fatalf("%d statements cached for two queries", got)
		}
	})

	t.Run("runs a query again while rows of it are still open", func(t *testing.T) {
		conn := open(t)
		for i := range 3 {
			if _, err := conn.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, 'x')`, i); err != nil {
				t.Fatal(err)
			}
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		const q = `SELECT id FROM t WHERE id >= ? ORDER BY id`
		outer, err := tx.QueryContext(ctx, q, 0)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for outer.Next() {
			var id, inner int
			if err := outer.Scan(&id); err != nil {
				t.Fatal(err)
			}
			if err := tx.QueryRowContext(ctx, q, id).Scan(&inner); err != nil || inner != id {
				t.Fatalf("inner query at %d: %d, %v", id, inner, err)
			}
			seen++
		}
		if err := outer.Close(); err != nil || seen != 3 {
			t.Fatalf("outer rows: %d seen, %v", seen, err)
		}
	})

	t.Run("closes the least recently used statement to make room", func(t *testing.T) {
		conn := open(t)
		query := func(i int) string { return fmt.Sprintf(`SELECT COUNT(*) + %d FROM t`, i) }
		run := func(i int) {
			var n int
			if err := conn.QueryRowContext(ctx, query(i)).Scan(&n); err != nil || n != i {
				t.Fatalf("query %d: %d, %v", i, n, err)
			}
		}
		for i := range stmtCacheSize {
			run(i)
		}
		run(0)             // used again: now the most recent
		run(stmtCacheSize) // one more than fits
		var kept0, kept1 bool
		if err := conn.Raw(func(dc any) error {
			kept0, kept1 = dc.(*stmtcache.Conn).Has(query(0)), dc.(*stmtcache.Conn).Has(query(1))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !kept0 || kept1 {
			t.Fatalf("after a query used again and one more: the one used again kept %v, the least recent kept %v", kept0, kept1)
		}
	})

	t.Run("keeps at most stmtCacheSize statements per connection", func(t *testing.T) {
		conn := open(t)
		for i := range stmtCacheSize + 50 {
			var n int
			if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT COUNT(*) + %d FROM t`, i)).Scan(&n); err != nil || n != i {
				t.Fatalf("query %d: %d, %v", i, n, err)
			}
		}
		if got := cached(t, conn); got > stmtCacheSize {
			t.Fatalf("%d statements cached", got)
		}
	})
}
