package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"authd/adapters/internal/sqlstore"
)

// dialect is how the shared repositories speak to SQLite: every write goes
// through one connection in BEGIN IMMEDIATE, so rows need no locks and claims
// no SKIP LOCKED, and no transaction ever loses a lock race.
var dialect = sqlstore.Dialect{
	Name:           "sqlite",
	BindType:       sqlstore.Question,
	GroupCommit:    true,
	Greatest:       "max",
	SkipDuplicates: " ON CONFLICT DO NOTHING",
	Unavailable:    isUnavailable,
	ReadOnly:       func(err error) bool { return sqliteCode(err)&0xff == sqlite3.SQLITE_READONLY },
	UniqueViolation: func(err error, table, column string) bool {
		return isUniqueViolation(err, table+"."+column)
	},
}

// isUnavailable reports whether err means the database could not be used in
// time, rather than that the request was wrong.
func isUnavailable(err error) bool {
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
