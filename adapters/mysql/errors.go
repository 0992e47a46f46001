package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"

	"authd/domain"
)

// fail translates a driver error at the boundary: coded errors pass, an
// unreachable or too slow server becomes domain.ErrUnavailable (503), anything
// else is wrapped with the operation's name and no SQL.
func fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	if isUnavailable(ctx, err) {
		return domain.WrapUnavailable(fmt.Errorf("mysql: %s: %w", op, err))
	}
	return fmt.Errorf("mysql: %s: %w", op, err)
}

// isUnavailable reports a server that cannot be reached or answered too late.
func isUnavailable(ctx context.Context, err error) bool {
	if ctx != nil && ctx.Err() != nil {
		return true
	}
	var ne net.Error
	var me *gomysql.MySQLError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, gomysql.ErrInvalidConn),
		errors.Is(err, sql.ErrConnDone), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &ne):
		return true
	case errors.As(err, &me):
		// 1040 too many connections, 1053 shutdown in progress, 1205 lock wait
		// timeout, 1213 deadlock, 2002/2003/2006/2013 connection lost.
		switch me.Number {
		case 1040, 1053, 1205, 1213, 2002, 2003, 2006, 2013:
			return true
		}
	}
	return strings.Contains(err.Error(), "sql: database is closed") || strings.Contains(err.Error(), "connection refused")
}

// isUniqueViolation reports MySQL's duplicate-key error (1062) on the named key.
func isUniqueViolation(err error, key string) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062 && strings.Contains(me.Message, key)
}
