// Package mysql is the production store: every storage port (users, sessions,
// one-time tokens, outbox, attempt log, transactions) on MySQL 8.x or MariaDB
// 10.11+ through sqlx and go-sql-driver/mysql, with its own versioned goose
// migrations (migrations/mysql), applied by Open. It behaves exactly like the
// embedded SQLite store; the contract suites in test/contract hold both to it.
//
// SQL is kept plain so that both servers run it: no RETURNING, no
// dialect-only functions, no JSON. Times are BIGINT unix milliseconds in UTC,
// as in SQLite.
//
// Concurrency model: many connections and InnoDB row locks, every connection
// at READ COMMITTED (no gap locks on searches; see isolationLevel for why),
// whatever the server's default. The concurrency rules rest on conditional
// UPDATEs judged by rows affected (a single-use token is spent by UPDATE ...
// WHERE used_at IS NULL, a try counted by UPDATE ... WHERE attempts < max),
// which InnoDB evaluates on the latest committed row under its lock, so of
// concurrent callers exactly one wins, and on unique keys (a refresh token is
// rotated by inserting its successor, and the unique key on replaces lets only
// one be stored); a value that must be returned as well is
// read back in the same transaction. Outbox claims lock due rows with SELECT
// ... FOR UPDATE SKIP LOCKED, so concurrent dispatchers take different
// messages without waiting for each other; Users.Update loads with SELECT ...
// FOR UPDATE, so concurrent updates of one user never lose each other's
// changes. A transaction that InnoDB aborts for a deadlock or a lock wait
// timeout is run again by the outermost WithinTx (see DB.WithinTx).
//
// Errors are translated at the boundary: not-found results become the port's
// sentinel, a duplicate email domain.ErrEmailTaken, an unreachable, overloaded
// or too slow server (or an expired context) domain.ErrUnavailable, and
// anything else is wrapped with the operation's name, never the SQL or the DSN.
package mysql
