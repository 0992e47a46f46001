package test

import (
	"testing"
	"time"

	"authd/adapters/mysql"
	"authd/domain"
)

// The MySQL store keeps each connection's prepared statements: a query that
// runs a hundred times is prepared once per connection and then only
// executed, so the server parses it once. Without the cache
// (PreparedStatements < 0) the driver interpolates and prepares nothing.
// The server's global counters are read around the calls; the MySQL tests
// run one at a time on the shared server, so the deltas are this test's.
func TestMySQLStatementCache(t *testing.T) {
	const calls = 100
	for _, c := range []struct {
		name       string
		prepared   int
		maxPrepare int
	}{
		{"cached: prepared once per connection", 0, 2 * calls / 10},
		{"without the cache: interpolated, never prepared", -1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			dsn := freshMySQLDSN(t)
			st := mysqlStore(openMySQLWith(t, mysql.Config{DSN: dsn, PreparedStatements: c.prepared}))
			raw := rawMySQL(t, dsn)
			status := func(name string) int {
				var n string
				var v int
				if err := raw.QueryRowContext(t.Context(), "SHOW GLOBAL STATUS LIKE '"+name+"'").Scan(&n, &v); err != nil {
					t.Fatal(err)
				}
				return v
			}
			now := time.Now()
			u := &domain.User{ID: domain.UserID(newTestID()), Email: domain.MustEmail("cache@example.com"), PasswordHash: "h",
				Role: "customer", CreatedAt: now, UpdatedAt: now}
			if err := st.Users.Create(t.Context(), u); err != nil {
				t.Fatal(err)
			}
			prepares, executes := status("Com_stmt_prepare"), status("Com_stmt_execute")
			for range calls {
				if got, err := st.Users.ByID(t.Context(), u.ID); err != nil || got.Email != u.Email {
					t.Fatalf("read the user back: %v, %v", got, err)
				}
			}
			prepared, executed := status("Com_stmt_prepare")-prepares, status("Com_stmt_execute")-executes
			if prepared > c.maxPrepare {
				t.Errorf("%d calls prepared %d statements, want at most %d", calls, prepared, c.maxPrepare)
			}
			if c.prepared >= 0 && executed < calls {
				t.Errorf("%d calls executed %d prepared statements, want every call", calls, executed)
			}
			if c.prepared < 0 && executed != 0 {
				t.Errorf("without the cache, %d calls executed %d prepared statements", calls, executed)
			}
		})
	}
}
