package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"authd/adapters/internal/sqlstore"
)

// SQLSTATE codes the adapter acts on.
const (
	codeUniqueViolation      = "23505" // unique_violation
	codeSerializationFailure = "40001" // serialization_failure
	codeDeadlock             = "40P01" // deadlock_detected
	codeLockNotAvailable     = "55P03" // lock_not_available (lock_timeout, NOWAIT)
)

// unavailableCodes are server errors that say the database cannot serve now
// (shutting down, starting up, read-only during a failover, a statement cut
// off by a server time limit, lock contention that outlived the retries)
// rather than that the request was wrong. Whole classes are in
// unavailableClasses.
var unavailableCodes = map[string]bool{
	"57P01":                  true, // admin_shutdown
	"57P02":                  true, // crash_shutdown
	"57P03":                  true, // cannot_connect_now (starting up, in recovery)
	"57P05":                  true, // idle_session_timeout
	"57014":                  true, // query_canceled (statement_timeout, a cancel request)
	"25006":                  true, // read_only_sql_transaction (a standby, default_transaction_read_only)
	codeSerializationFailure: true,
	codeDeadlock:             true,
	codeLockNotAvailable:     true,
}

// unavailableClasses are SQLSTATE classes that are unavailable as a whole.
var unavailableClasses = map[string]bool{
	"08": true, // connection exception
	"53": true, // insufficient resources (too many connections, out of memory or disk)
}

// refusalCodes are answers to a login that no amount of waiting changes.
var refusalCodes = map[string]bool{
	"28P01": true, // invalid_password
	"28000": true, // invalid_authorization_specification (no pg_hba.conf entry, unknown role)
	"3D000": true, // invalid_catalog_name: no such database
	"42501": true, // insufficient_privilege: no CONNECT on the database
}

// dialect is how the shared repositories speak to PostgreSQL: $n placeholders,
// row locks and SKIP LOCKED claims, retried lock conflicts, and text made
// storable in TEXT columns (no NUL bytes, valid UTF-8).
var dialect = sqlstore.Dialect{
	Name:        "postgres",
	BindType:    sqlstore.Dollar,
	LockRows:    " FOR UPDATE",
	SkipLocked:  " FOR UPDATE SKIP LOCKED",
	Unavailable: isUnavailable,
	ReadOnly:    isReadOnly,
	Retryable:   isConflict,
	UniqueViolation: func(err error, table, column string) bool {
		return isUniqueViolation(err, table+"_"+column)
	},
	Text:           cleanText,
	LongText:       cleanText,
	Greatest:       "GREATEST",
	SkipDuplicates: " ON CONFLICT DO NOTHING",
	BatchDelete:    sqlstore.BatchAnyIDs,
}

// pgError returns the server's error in err's chain, if any.
func pgError(err error) (*pgconn.PgError, bool) {
	return errors.AsType[*pgconn.PgError](err)
}

// isUnavailable reports whether err means the database could not be used in
// time, rather than that the request was wrong.
func isUnavailable(err error) bool {
	if pe, ok := pgError(err); ok {
		return unavailableCodes[pe.Code] || len(pe.Code) == 5 && unavailableClasses[pe.Code[:2]]
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		pgconn.Timeout(err), pgconn.SafeToRetry(err), errors.As(err, &ne):
		return true
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true // a connection that could not be made, and no server error said why
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection refused")
}

// isConflict reports a deadlock, a serialization failure or a lock timeout:
// the transaction lost a race for locks and may succeed when run again.
func isConflict(err error) bool {
	pe, ok := pgError(err)
	return ok && (pe.Code == codeDeadlock || pe.Code == codeSerializationFailure || pe.Code == codeLockNotAvailable)
}

// isRefusal reports a server that answered and refused the login.
func isRefusal(err error) bool {
	pe, ok := pgError(err)
	return ok && refusalCodes[pe.Code]
}

// isUniqueViolation reports a unique violation of the named constraint; the
// migrations name every unique constraint <table>_<columns>.
func isUniqueViolation(err error, constraint string) bool {
	pe, ok := pgError(err)
	return ok && pe.Code == codeUniqueViolation && pe.ConstraintName == constraint
}

// cleanText makes text from outside (a user agent header, a mail server's
// error) storable in a TEXT or VARCHAR column: PostgreSQL refuses NUL bytes
// and invalid UTF-8 in any text value, where SQLite stores the bytes as they
// are. Both become U+FFFD, so the rest of the text is kept.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}

// isReadOnly reports a server that refuses writes: read_only_sql_transaction
// (25006: a standby, default_transaction_read_only).
func isReadOnly(err error) bool {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pe.Code == "25006"
}
