package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	gomysql "github.com/go-sql-driver/mysql"

	"authd/adapters/internal/sqlstore"
)

// Server error numbers the adapter acts on (MySQL and MariaDB share them).
const (
	errDuplicateKey    = 1062 // ER_DUP_ENTRY
	errLockWaitTimeout = 1205 // ER_LOCK_WAIT_TIMEOUT
	errDeadlock        = 1213 // ER_LOCK_DEADLOCK
)

// unavailableNumbers are server errors that say the database cannot serve now
// (overloaded, shutting down, read-only during a failover, a statement cut off
// by a server time limit, lock contention that outlived the retries) rather
// than that the request was wrong.
var unavailableNumbers = map[uint16]bool{
	1040: true, // ER_CON_COUNT_ERROR: too many connections
	1053: true, // ER_SERVER_SHUTDOWN
	1152: true, // ER_ABORTING_CONNECTION
	1158: true, // ER_NET_READ_ERROR
	1159: true, // ER_NET_READ_INTERRUPTED
	1160: true, // ER_NET_ERROR_ON_WRITE
	1161: true, // ER_NET_WRITE_INTERRUPTED
	1205: true, // ER_LOCK_WAIT_TIMEOUT
	1213: true, // ER_LOCK_DEADLOCK
	1290: true, // ER_OPTION_PREVENTS_STATEMENT (--read-only)
	1317: true, // ER_QUERY_INTERRUPTED
	1836: true, // ER_READ_ONLY_MODE
	1927: true, // ER_CONNECTION_KILLED (MariaDB)
	1969: true, // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
	3024: true, // ER_QUERY_TIMEOUT (MySQL max_execution_time)
}

// dialect is how the shared repositories speak to MySQL and MariaDB: row locks
// and SKIP LOCKED claims, retried lock conflicts, and text made storable in
// utf8mb4 columns under strict SQL mode.
var dialect = sqlstore.Dialect{
	Name:        "mysql",
	BindType:    sqlstore.Question,
	LockRows:    " FOR UPDATE",
	SkipLocked:  " FOR UPDATE SKIP LOCKED",
	Unavailable: isUnavailable,
	ReadOnly:    isReadOnly,
	Retryable:   isConflict,
	UniqueViolation: func(err error, table, column string) bool {
		return isDuplicate(err, table+"_"+column)
	},
	Text:        validUTF8,
	LongText:    fitText,
	Greatest:    "GREATEST",
	BatchDelete: sqlstore.BatchLimit,
}

// isUnavailable reports whether err means the database could not be used in
// time, rather than that the request was wrong.
func isUnavailable(err error) bool {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return unavailableNumbers[me.Number]
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, gomysql.ErrInvalidConn),
		errors.Is(err, sql.ErrConnDone), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.As(err, &ne):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "sql: database is closed") || strings.Contains(msg, "connection refused")
}

// isConflict reports a deadlock or a lock wait timeout: the transaction lost a
// race for locks and may succeed when run again.
func isConflict(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && (me.Number == errDeadlock || me.Number == errLockWaitTimeout)
}

// isDuplicate reports MySQL's duplicate-key error (1062) on the named unique
// key. MySQL 8 names it "table.key", MariaDB "key"; both contain key.
func isDuplicate(err error, key string) bool {
	var me *gomysql.MySQLError
	if !errors.As(err, &me) || me.Number != errDuplicateKey {
		return false
	}
	return strings.HasSuffix(me.Message, "'"+key+"'") || strings.HasSuffix(me.Message, "."+key+"'")
}

// isReadOnly reports a server that refuses writes: --read-only or
// super_read_only (1290), a read-only transaction or mode (1792, 1836).
func isReadOnly(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1290 || me.Number == 1792 || me.Number == 1836)
}
