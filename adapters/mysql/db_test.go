package mysql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gomysql "github.com/go-sql-driver/mysql"

	"authd/adapters/internal/sqlstore"
	"authd/domain"
)

// These tests need no server; the store's behaviour against a real one is
// tested in test/ (contract suites and TestMySQL*).

func TestDriverConfig(t *testing.T) {
	t.Run("forces what the adapter relies on and fills in missing timeouts", func(t *testing.T) {
		dc, err := driverConfig("authd:pw@tcp(db:3306)/authd?loc=Local&parseTime=false&multiStatements=true&clientFoundRows=true")
		if err != nil {
			t.Fatal(err)
		}
		if !dc.ParseTime || dc.Loc != time.UTC || dc.MultiStatements || dc.ClientFoundRows ||
			dc.Timeout != 5*time.Second || dc.ReadTimeout != 30*time.Second || dc.WriteTimeout != 30*time.Second ||
			dc.Params["sql_mode"] != "'TRADITIONAL'" {
			t.Fatalf("got %+v", dc)
		}
	})
	t.Run("keeps the operator's timeouts and SQL mode", func(t *testing.T) {
		dc, err := driverConfig("authd:pw@tcp(db:3306)/authd?timeout=1s&readTimeout=2s&writeTimeout=3s&sql_mode=%27ANSI%27")
		if err != nil {
			t.Fatal(err)
		}
		if dc.Timeout != time.Second || dc.ReadTimeout != 2*time.Second || dc.WriteTimeout != 3*time.Second || dc.Params["sql_mode"] != "'ANSI'" {
			t.Fatalf("got %+v", dc)
		}
	})
	t.Run("refuses an empty or database-less DSN, naming AUTH_DB_DSN", func(t *testing.T) {
		for _, dsn := range []string{"", "  ", "authd:pw@tcp(db:3306)/"} {
			if _, err := driverConfig(dsn); err == nil || !strings.Contains(err.Error(), "AUTH_DB_DSN") {
				t.Errorf("%q: got %v", dsn, err)
			}
		}
	})
	t.Run("masks the password of a DSN it cannot parse", func(t *testing.T) {
		_, err := driverConfig("authd:s3cret-pw@tcp(db:3306)/authd?timeout=s3cret-pw")
		if err == nil || strings.Contains(err.Error(), "s3cret-pw") || !strings.Contains(err.Error(), "AUTH_DB_DSN") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestErrorTranslation(t *testing.T) {
	ctx := context.Background()
	db := sqlstore.New(dialect, nil, nil)
	fail := db.Fail
	t.Run("knows a duplicate email in the words of MySQL 8 and MariaDB", func(t *testing.T) {
		for _, msg := range []string{
			"Duplicate entry 'a@example.com' for key 'users.users_email'", // MySQL 8
			"Duplicate entry 'a@example.com' for key 'users_email'",       // MariaDB
		} {
			err := fmt.Errorf("mysql: create user: %w", &gomysql.MySQLError{Number: 1062, Message: msg})
			if !isDuplicate(err, "users_email") {
				t.Errorf("%q not recognised", msg)
			}
		}
		for _, err := range []error{
			&gomysql.MySQLError{Number: 1062, Message: "Duplicate entry 'x' for key 'PRIMARY'"},
			&gomysql.MySQLError{Number: 1062, Message: "Duplicate entry 'x' for key 'other_users_email'"},
			&gomysql.MySQLError{Number: 1452, Message: "users_email"},
			errors.New("users_email"),
		} {
			if isDuplicate(err, "users_email") {
				t.Errorf("%v taken for a duplicate email", err)
			}
		}
	})
	t.Run("an outage, an overload or an expired deadline is unavailable; a bad request is not", func(t *testing.T) {
		for _, err := range []error{
			context.DeadlineExceeded, gomysql.ErrInvalidConn, errors.New("sql: database is closed"),
			&gomysql.MySQLError{Number: 1040}, &gomysql.MySQLError{Number: 1213}, &gomysql.MySQLError{Number: 1205},
			&gomysql.MySQLError{Number: 1290}, &gomysql.MySQLError{Number: 3024},
		} {
			if got := fail(ctx, "op", err); !errors.Is(got, domain.ErrUnavailable) || !errors.Is(got, err) {
				t.Errorf("%v: got %v", err, got)
			}
		}
		for _, err := range []error{&gomysql.MySQLError{Number: 1062}, &gomysql.MySQLError{Number: 1406}, errors.New("boom")} {
			if got := fail(ctx, "op", err); errors.Is(got, domain.ErrUnavailable) || got.Error() != "mysql: op: "+err.Error() {
				t.Errorf("%v: got %v", err, got)
			}
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if got := fail(cancelled, "op", errors.New("boom")); !errors.Is(got, domain.ErrUnavailable) {
			t.Errorf("with a cancelled context: got %v", got)
		}
	})
	t.Run("only deadlocks and lock wait timeouts are retried, however wrapped", func(t *testing.T) {
		if !isConflict(fail(ctx, "op", &gomysql.MySQLError{Number: 1213})) || !isConflict(&gomysql.MySQLError{Number: 1205}) ||
			isConflict(&gomysql.MySQLError{Number: 1062}) || isConflict(context.DeadlineExceeded) {
			t.Fatal("wrong conflict classification")
		}
	})
}

func TestFitText(t *testing.T) {
	long := strings.Repeat("é", maxText) // 2 bytes each
	got := fitText(long)
	if len(got) > maxText || !utf8.ValidString(got) || len(got) < maxText-1 {
		t.Fatalf("cut to %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
	if fitText("550 no\xffsuch user") != "550 no\uFFFDsuch user" {
		t.Fatal("invalid UTF-8 kept")
	}
}
