// Package postgres is the store on PostgreSQL 15 or newer: every storage port
// (users, sessions, one-time tokens, outbox, attempt log, transactions) through
// the shared SQL core (adapters/internal/sqlstore) on database/sql with pgx's
// stdlib driver, with its own versioned goose migrations (migrations/postgres),
// applied by Open under an advisory lock. It behaves exactly like the SQLite
// and MySQL stores; the contract suites in test/contract hold all three to it.
//
// Why database/sql rather than pgx natively: the shared core is written on
// sqlx, and one code path for every engine is what makes the engines
// interchangeable; pgx's stdlib driver still caches prepared statements per
// connection, so a query is parsed by the server once per connection.
//
// Concurrency model: many connections at READ COMMITTED, the server's default.
// The concurrency rules rest on conditional UPDATEs judged by rows affected
// (UPDATE ... WHERE used_at IS NULL, WHERE attempts < max): PostgreSQL
// re-evaluates the condition on the latest committed version of a row it had
// to wait for, so of concurrent callers exactly one wins; and on unique keys
// (a refresh token's successor is inserted ON CONFLICT DO NOTHING, and the
// unique key on replaces stores one).
// Outbox claims lock due rows with SELECT ... FOR UPDATE SKIP LOCKED;
// Users.Update loads with SELECT ... FOR UPDATE. A transaction the server
// aborts for a deadlock, a serialization failure or a lock timeout is run
// again by the outermost WithinTx (see sqlstore.DB.WithinTx).
//
// Errors are translated at the boundary: not-found results become the port's
// sentinel, a duplicate email domain.ErrEmailTaken, an unreachable, overloaded,
// read-only or shutting-down server (or an expired context)
// domain.ErrUnavailable, and anything else is wrapped with the operation's
// name, never the SQL or the DSN.
package postgres
