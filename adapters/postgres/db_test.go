package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"authd/adapters/internal/sqlstore"
	"authd/domain"
)

// These tests need no server; the store's behaviour against a real one is
// tested in test/ (contract suites and TestPostgres*).

func TestConnConfig(t *testing.T) {
	t.Run("reads URL and keyword DSNs and fills in what the adapter relies on", func(t *testing.T) {
		for _, dsn := range []string{
			"postgres://authd:pw@db:5433/auth?sslmode=disable",
			"host=db port=5433 user=authd password=pw dbname=auth sslmode=disable",
		} {
			cc, err := connConfig(dsn)
			if err != nil {
				t.Fatal(err)
			}
			if cc.Host != "db" || cc.Port != 5433 || cc.User != "authd" || cc.Password != "pw" || cc.Database != "auth" ||
				cc.ConnectTimeout != 5*time.Second || cc.RuntimeParams["application_name"] != "authd" {
				t.Fatalf("%q: got %+v", dsn, cc)
			}
			if got := where(cc); got != "authd@db:5433/auth" {
				t.Fatalf("where: %q", got)
			}
		}
	})
	t.Run("keeps the operator's connect timeout and application name", func(t *testing.T) {
		cc, err := connConfig("postgres://authd:pw@db/auth?connect_timeout=2&application_name=edge")
		if err != nil {
			t.Fatal(err)
		}
		if cc.ConnectTimeout != 2*time.Second || cc.RuntimeParams["application_name"] != "edge" {
			t.Fatalf("got %v %q", cc.ConnectTimeout, cc.RuntimeParams["application_name"])
		}
	})
	t.Run("refuses an empty or malformed DSN, naming AUTH_DB_DSN and masking the password", func(t *testing.T) {
		for _, dsn := range []string{"", "  ", "postgres://authd:s3cret-pw@db:99999/auth",
			"host=db user=authd password=s3cret-pw dbname=auth connect_timeout=s3cret-pw",
			"postgres://authd:s3cret-pw@db/auth?connect_timeout=s3cret-pw"} {
			_, err := connConfig(dsn)
			if err == nil || !strings.Contains(err.Error(), "AUTH_DB_DSN") || strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("%q: got %v", dsn, err)
			}
		}
	})
}

func TestErrorTranslation(t *testing.T) {
	ctx := context.Background()
	fail := sqlstore.New(dialect, nil, nil).Fail
	pg := func(code string) error { return fmt.Errorf("op: %w", &pgconn.PgError{Code: code}) }

	t.Run("a duplicate email is the violation of the users_email constraint only", func(t *testing.T) {
		if !dialect.UniqueViolation(fmt.Errorf("x: %w", &pgconn.PgError{Code: "23505", ConstraintName: "users_email"}), "users", "email") {
			t.Fatal("not recognised")
		}
		for _, err := range []error{
			&pgconn.PgError{Code: "23505", ConstraintName: "users_pkey"},
			&pgconn.PgError{Code: "23503", ConstraintName: "users_email"},
			errors.New("users_email"), nil,
		} {
			if dialect.UniqueViolation(err, "users", "email") {
				t.Errorf("%v taken for a duplicate email", err)
			}
		}
	})
	t.Run("an outage, an overload, a shutdown, a read-only server or an expired deadline is unavailable; a bad request is not", func(t *testing.T) {
		for _, err := range []error{
			context.DeadlineExceeded, errors.New("sql: database is closed"),
			pg("08006"), pg("08001"), pg("53300"), pg("57P01"), pg("57P03"), pg("25006"), pg("57014"), pg("40P01"), pg("40001"),
		} {
			if got := fail(ctx, "op", err); !errors.Is(got, domain.ErrUnavailable) || !errors.Is(got, err) {
				t.Errorf("%v: got %v", err, got)
			}
		}
		for _, err := range []error{pg("23505"), pg("22001"), pg("42601"), pg("28P01"), errors.New("boom")} {
			if got := fail(ctx, "op", err); errors.Is(got, domain.ErrUnavailable) || got.Error() != "postgres: op: "+err.Error() {
				t.Errorf("%v: got %v", err, got)
			}
		}
	})
	t.Run("only deadlocks, serialization failures and lock timeouts are retried, however wrapped", func(t *testing.T) {
		for _, code := range []string{"40P01", "40001", "55P03"} {
			if !isConflict(fail(ctx, "op", pg(code))) {
				t.Errorf("%s not retried", code)
			}
		}
		if isConflict(pg("23505")) || isConflict(pg("57014")) || isConflict(context.DeadlineExceeded) {
			t.Fatal("wrong conflict classification")
		}
	})
	t.Run("a wrong password, an unknown role or database is a refusal; a server starting up is not", func(t *testing.T) {
		for _, code := range []string{"28P01", "28000", "3D000", "42501"} {
			if !isRefusal(pg(code)) {
				t.Errorf("%s not a refusal", code)
			}
		}
		if isRefusal(pg("57P03")) || isRefusal(errors.New("connection refused")) {
			t.Fatal("a passing state taken for a refusal")
		}
	})
}

func TestRedaction(t *testing.T) {
	err := redacted(errors.New("cannot use p@ss/w rd or p%40ss%2Fw+rd"), "p@ss/w rd")
	if strings.Contains(err.Error(), "p@ss") || strings.Contains(err.Error(), "p%40ss") {
		t.Fatalf("got %v", err)
	}
	for dsn, want := range map[string]string{
		"postgres://u:pw1@h/db":         "pw1",
		"host=h password='p w2' user=u": "p w2",
		"host=h password=pw3 user=u":    "pw3",
		"postgres://u@h/db":             "",
	} {
		if got := guessPassword(dsn); got != want {
			t.Errorf("%q: got %q, want %q", dsn, got, want)
		}
	}
}

func TestCleanText(t *testing.T) {
	if got := cleanText("550 no\x00such\xffuser"); got != "550 no\uFFFDsuch\uFFFDuser" {
		t.Fatalf("got %q", got)
	}
	if got := cleanText("plain é"); got != "plain é" {
		t.Fatalf("got %q", got)
	}
}
