package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"authd/adapters/internal/sqlstore"
	"authd/migrations"
)

// The defaults of Config's zero values.
const (
	defaultStartupTimeout  = 30 * time.Second
	defaultMaxOpenConns    = 20
	defaultMaxIdleConns    = 10
	defaultConnMaxLifetime = 5 * time.Minute

	// defaultConnectTimeout bounds one connection attempt when the DSN sets no
	// connect_timeout, so that a server that stops answering costs a request
	// seconds, not minutes. Statements are bounded by the request's context,
	// which pgx honours by cancelling the statement on the server.
	defaultConnectTimeout = 5 * time.Second

	// migrationLockWait bounds how long Open waits for another instance that is
	// migrating the same database.
	migrationLockWait = 5 * time.Minute
)

// migrationLockKey is the advisory lock that serialises migrations. Advisory
// locks are scoped to the current database, so one key serves every database.
var migrationLockKey = func() int64 {
	sum := sha256.Sum256([]byte("authd-migrate"))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}()

// Config says where the database is and how the pool behaves, so that
// deployments choose the server (AUTH_DB_DSN) while the adapter keeps the
// connection settings it relies on.
type Config struct {
	// DSN is a libpq connection string, as a URL
	// (postgres://user:password@host:5432/dbname?sslmode=disable) or in keyword
	// form (host=... user=... dbname=...), read by pgx (which also reads the PG*
	// environment variables for what the DSN leaves out). The adapter fills in
	// connect_timeout=5 and application_name=authd when the DSN leaves them out.
	DSN string
	// StartupTimeout bounds how long Open waits for the server to answer; 0 means 30s.
	StartupTimeout time.Duration
	// MaxOpenConns bounds the pool; 0 means 20, and less than 2 means 2.
	MaxOpenConns int
	// MaxIdleConns bounds the idle connections kept; 0 means 10.
	MaxIdleConns int
	// ConnMaxLifetime recycles connections (and so follows failovers and DNS
	// changes); 0 means 5 minutes.
	ConnMaxLifetime time.Duration
	// SkipMigrations makes Open apply no migration and fail while any is
	// pending (AUTH_MIGRATE=false: `authd migrate up` applies them).
	SkipMigrations bool
}

// Open connects, waiting up to cfg.StartupTimeout for the server (a database
// container often starts after the service), and applies every pending
// migration, so that an empty database is ready to serve; the returned cleanup
// closes the pool. Its errors name AUTH_DB_DSN and never contain the password.
func Open(ctx context.Context, cfg Config) (*Store, func(), error) {
	cc, err := connConfig(cfg.DSN)
	if err != nil {
		return nil, nil, err
	}
	pool := sqlx.NewDb(sql.OpenDB(quietConnector{stdlib.GetConnector(*cc)}), "pgx")
	// At least two: migrations hold one connection for their lock and run on another.
	pool.SetMaxOpenConns(max(sqlstore.Or(cfg.MaxOpenConns, defaultMaxOpenConns), 2))
	pool.SetMaxIdleConns(sqlstore.Or(cfg.MaxIdleConns, defaultMaxIdleConns))
	pool.SetConnMaxLifetime(sqlstore.Or(cfg.ConnMaxLifetime, defaultConnMaxLifetime))
	cleanup := func() { _ = pool.Close() }

	within := sqlstore.Or(cfg.StartupTimeout, defaultStartupTimeout)
	if err := waitForServer(ctx, pool.DB, within); err != nil {
		cleanup()
		switch {
		case ctx.Err() != nil:
			err = fmt.Errorf("postgres: AUTH_DB_DSN (%s): gave up waiting for the database: %w", where(cc), err)
		case isRefusal(err):
			err = fmt.Errorf("postgres: AUTH_DB_DSN (%s): the server refused the connection: %w", where(cc), err)
		default:
			err = fmt.Errorf("postgres: AUTH_DB_DSN (%s): database unreachable after %s: %w", where(cc), within, err)
		}
		return nil, nil, redacted(err, cc.Password)
	}

	db := sqlstore.New(dialect, pool, nil)
	if cfg.SkipMigrations {
		p, perr := provider(db)
		if err = perr; err == nil {
			err = db.CheckSchema(ctx, where(cc), p)
		}
	} else {
		err = migrate(ctx, db, where(cc))
	}
	if err == nil {
		err = db.ProbeWritable(ctx, where(cc))
	}
	if err != nil {
		cleanup()
		return nil, nil, redacted(err, cc.Password)
	}
	return sqlstore.NewStore(db), cleanup, nil
}

// MigrationStatus connects (waiting as Open does) without migrating and
// reports each migration's state (applied, with its time, or pending).
func MigrationStatus(ctx context.Context, cfg Config) ([]*goose.MigrationStatus, error) {
	cc, err := connConfig(cfg.DSN)
	if err != nil {
		return nil, err
	}
	pool := sqlx.NewDb(sql.OpenDB(quietConnector{stdlib.GetConnector(*cc)}), "pgx")
	defer pool.Close()
	if err := waitForServer(ctx, pool.DB, sqlstore.Or(cfg.StartupTimeout, defaultStartupTimeout)); err != nil {
		return nil, redacted(fmt.Errorf("postgres: AUTH_DB_DSN (%s): %w", where(cc), err), cc.Password)
	}
	db := sqlstore.New(dialect, pool, nil)
	p, err := provider(db)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, redacted(db.Fail(ctx, "migration status", err), cc.Password)
	}
	return st, nil
}

// provider is goose's view of migrations.Postgres on the pool.
func provider(db *sqlstore.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations.Postgres, "postgres")
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.Writer().DB, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return p, nil
}

// connConfig parses the operator's DSN and sets what the adapter relies on.
func connConfig(dsn string) (*pgx.ConnConfig, error) {
	const want = "want postgres://user:password@host:5432/dbname"
	dsn = strings.TrimSpace(dsn)
	if dsn == "" {
		return nil, errors.New("postgres: AUTH_DB_DSN is empty (" + want + ")")
	}
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx masks the passwords it recognises; a malformed DSN may hide one
		// where it does not look, so mask what most likely is one as well.
		return nil, redacted(fmt.Errorf("postgres: AUTH_DB_DSN is not a valid DSN (%s): %w", want, err), guessPassword(dsn))
	}
	if cc.Database == "" {
		return nil, errors.New("postgres: AUTH_DB_DSN names no database (" + want + ")")
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = defaultConnectTimeout
	}
	if _, ok := cc.RuntimeParams["application_name"]; !ok {
		cc.RuntimeParams["application_name"] = "authd"
	}
	return cc, nil
}

// quietConnector is pgx's connector with connection errors that do not name
// the user and database: those errors reach logs through the repositories,
// which must never show the DSN (Open names the server itself, without the
// password).
type quietConnector struct{ driver.Connector }

// Connect opens a connection; its error keeps pgx's chain for errors.As.
func (c quietConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, &connectError{err: err}
	}
	return conn, nil
}

// connectError is a failed connection attempt, told without pgx's prefix
// ("failed to connect to `user=... database=...`: host:port (ip): ").
type connectError struct{ err error }

func (e *connectError) Error() string {
	ce, ok := errors.AsType[*pgconn.ConnectError](e.err)
	if !ok {
		return "connect: " + e.err.Error()
	}
	cause := errors.Unwrap(ce) // one attempt's error, or several joined
	if cause == nil {
		return "connect failed"
	}
	var causes []string
	if many, ok := cause.(interface{ Unwrap() []error }); ok {
		for _, c := range many.Unwrap() {
			causes = append(causes, attemptCause(c))
		}
	} else {
		causes = append(causes, attemptCause(cause))
	}
	return "connect: " + strings.Join(causes, "; ")
}

func (e *connectError) Unwrap() error { return e.err }

// attemptCause is what went wrong in one connection attempt, without the
// attempt's host prefix.
func attemptCause(err error) string {
	if inner := errors.Unwrap(err); inner != nil {
		return inner.Error()
	}
	return err.Error()
}

// waitForServer waits for the server as every engine does, ending at once on a refusal.
func waitForServer(ctx context.Context, pool *sql.DB, within time.Duration) error {
	return sqlstore.WaitForServer(ctx, pool, within, isRefusal)
}

// migrate applies every pending migration of migrations.Postgres. A
// session-level advisory lock (released by the server if the session dies),
// held on a connection of its own around all of goose's work, serialises
// instances that start together on one database, so exactly one applies each
// migration and the others find nothing to do.
func migrate(ctx context.Context, db *sqlstore.DB, where string) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	conn, err := db.Writer().Conn(ctx)
	if err != nil {
		return db.Fail(ctx, "migrate", err)
	}
	defer conn.Close()
	lctx, cancel := context.WithTimeout(ctx, migrationLockWait)
	_, err = conn.ExecContext(lctx, `SELECT pg_advisory_lock($1)`, migrationLockKey)
	cancel()
	if err != nil {
		if ctx.Err() == nil && lctx.Err() != nil {
			return fmt.Errorf("postgres: migrate: another instance held the migration lock for more than %s", migrationLockWait)
		}
		return db.Fail(ctx, "migrate: lock", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockKey)
	}()
	if _, err := p.Up(ctx); err != nil {
		return db.StartupError(ctx, where, "migrate", err)
	}
	return nil
}

// where names the server and database of cc for messages, without the password.
func where(cc *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", cc.User, cc.Host, cc.Port, cc.Database)
}

// redacted masks the password in err's text, as written and URL-escaped.
func redacted(err error, password string) error {
	return sqlstore.Redacted(err, password, url.QueryEscape(password), url.PathEscape(password))
}

// keywordPassword finds password=... in a keyword-form DSN.
var keywordPassword = regexp.MustCompile(`password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// guessPassword returns what a DSN that failed to parse most likely holds as
// its password, to mask it: password=... in keyword form, else what lies
// between the first ':' after the scheme and the last '@' of a URL.
func guessPassword(dsn string) string {
	if m := keywordPassword.FindStringSubmatch(dsn); m != nil {
		return strings.Trim(m[1], "'")
	}
	rest := dsn
	if _, after, ok := strings.Cut(dsn, "://"); ok {
		rest = after
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return ""
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	if !ok {
		return ""
	}
	return pw
}
