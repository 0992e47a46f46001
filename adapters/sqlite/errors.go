package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"authd/domain"
)

// fail translates a driver error at the boundary: domain errors pass through,
// a cancelled or expired context and an unreachable or closed database become
// domain.ErrUnavailable, anything else is wrapped with the operation's name
// (never the SQL text).
func fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	if isUnavailable(ctx, err) {
		return unavailable(op, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// unavailable wraps err as a dependency outage.
func unavailable(op string, err error) error {
	return domain.WrapUnavailable(fmt.Errorf("sqlite: %s: %w", op, err))
}

// isUnavailable reports whether err means the database could not be used in
// time, rather than that the request was wrong.
func isUnavailable(ctx context.Context, err error) bool {
	if ctx != nil && ctx.Err() != nil {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "sql: database is closed") {
		return true
	}
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOMEM:
		return true
	}
	return false
}

// sqliteCode returns the extended result code of a driver error, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// isUniqueViolation reports whether err is a UNIQUE constraint failure on the
// given "table.column" (as SQLite names it in the message).
func isUniqueViolation(err error, column string) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE &&
		strings.Contains(se.Error(), column)
}
