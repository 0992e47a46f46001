package mysql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// isolationLevel is the transaction isolation of every connection of the pool.
//
// READ COMMITTED, not InnoDB's default REPEATABLE READ: under REPEATABLE READ a
// locking read or an UPDATE that finds no row (voiding the tokens of a user who
// has none, revoking the sessions of a user who has none, claiming mail when
// none is due) still locks the gap where such a row would go, and every INSERT
// into that gap waits for it. With time-ordered ids (UUIDv7) every new user's
// rows land in the same gap at the end of an index, so two sign-ups that each
// voided (nothing) and then inserted their own token deadlocked on each
// other's gap lock. Under READ COMMITTED InnoDB takes record locks only (gap
// locks remain for foreign-key and duplicate-key checks), so unrelated
// requests never wait for each other. Nothing in this store relies on
// REPEATABLE READ's snapshot: every rule is a conditional UPDATE on the latest
// committed row, a SELECT ... FOR UPDATE, or a read of the transaction's own
// writes.
const isolationLevel = "READ COMMITTED"

// sessionConnector sets the session's isolation level on every new connection,
// with the same statement on MySQL and MariaDB (the variable is called
// transaction_isolation on one and tx_isolation on the other), once per
// connection, never per query.
type sessionConnector struct {
	driver.Connector
}

// Connect opens a connection and sets its isolation level; a connection that
// refuses it is closed, not used.
func (c sessionConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("mysql: the driver's connection cannot execute statements")
	}
	if _, err := ex.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL "+isolationLevel, nil); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("set isolation level: %w", err)
	}
	return conn, nil
}

// interpolationSafeCharsets are connection character sets in which no
// multi-byte character contains the byte of a quote or a backslash, so that
// the driver's client-side escaping of parameters is exact (the driver itself
// refuses interpolation with the unsafe collations, but not with an unsafe
// charset named alone).
var interpolationSafeCharsets = map[string]bool{"": true, "utf8mb4": true, "utf8mb3": true, "utf8": true, "latin1": true, "ascii": true}

// wantsInterpolation reports whether the adapter turns on the driver's
// client-side parameter interpolation for dsn: when the operator has not
// decided (no interpolateParams in the DSN) and every character set the DSN
// names is one where escaping is exact. Most queries run on a statement the
// connection keeps prepared (stmtcache); one run outside it (or with the cache
// off) is sent with its values in one round trip, where a server-side
// prepared statement would cost three (prepare, execute, close), since
// database/sql prepares per call.
func wantsInterpolation(dsn string) bool {
	_, query, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return false
	}
	if _, set := q["interpolateParams"]; set {
		return false
	}
	for _, cs := range strings.Split(q.Get("charset"), ",") {
		if !interpolationSafeCharsets[strings.ToLower(strings.TrimSpace(cs))] {
			return false
		}
	}
	return true
}
