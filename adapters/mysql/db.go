package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"authd/adapters/internal/sqlstore"
	"authd/adapters/internal/stmtcache"
	"authd/migrations"
)

// The defaults of Config's zero values.
const (
	defaultStartupTimeout = 30 * time.Second
	defaultMaxOpenConns   = 20
	// As many idle connections as open ones: with fewer, every burst above
	// the idle bound closes connections on release and opens new ones (TCP,
	// handshake, session settings) a moment later.
	defaultMaxIdleConns    = defaultMaxOpenConns
	defaultConnMaxLifetime = 5 * time.Minute
	// Each connection keeps its 32 most recently used prepared statements: the
	// store's hot queries, a few dozen in all. The server counts them against
	// max_prepared_stmt_count (16382 by default), which must exceed instances ×
	// MaxOpenConns × 32.
	defaultPreparedStatements = 32

	// Connection timeouts the adapter fills in when the DSN leaves them out, so
	// that a server that stops answering costs a request seconds, not minutes.
	defaultDialTimeout = 5 * time.Second
	defaultIOTimeout   = 30 * time.Second

	// migrationLockWait bounds how long Open waits for another instance that is
	// migrating the same database.
	migrationLockWait = 5 * time.Minute
)

// Config says where the database is and how the pool behaves, so that
// deployments choose the server (AUTH_DB_DSN) while the adapter keeps the
// connection settings it relies on.
type Config struct {
	// DSN is a go-sql-driver DSN: user:password@tcp(host:3306)/dbname?param=value.
	// The adapter forces parseTime=true, loc=UTC, multiStatements=false and
	// clientFoundRows=false and READ COMMITTED isolation on every connection
	// (see isolationLevel), sets sql_mode to TRADITIONAL (strict) unless the DSN
	// sets one, turns on interpolateParams (a query run outside the statement
	// cache, see PreparedStatements, then takes one round trip instead of
	// three) unless the DSN sets it or names a character set other than
	// utf8mb4, utf8mb3, latin1 or ascii, and fills in timeout=5s,
	// readTimeout=30s and writeTimeout=30s when the DSN leaves them out.
	DSN string
	// PreparedStatements bounds the prepared statements each connection keeps
	// (stmtcache), so that the server parses a query once per connection, not
	// on every call; 0 means 32, and a negative value keeps none (every query
	// then goes as text, interpolated by the driver).
	PreparedStatements int
	// StartupTimeout bounds how long Open waits for the server to answer; 0 means 30s.
	StartupTimeout time.Duration
	// MaxOpenConns bounds the pool; 0 means 20, and less than 2 means 2.
	MaxOpenConns int
	// MaxIdleConns bounds the idle connections kept; 0 means MaxOpenConns's
	// default, 20.
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
	dc, err := driverConfig(cfg.DSN)
	if err != nil {
		return nil, nil, err
	}
	connector, err := gomysql.NewConnector(dc)
	if err != nil {
		return nil, nil, redacted(fmt.Errorf("mysql: AUTH_DB_DSN: %w", err), dc.Passwd)
	}
	var conns driver.Connector = sessionConnector{connector}
	if cfg.PreparedStatements >= 0 {
		conns = stmtcache.New(conns, sqlstore.Or(cfg.PreparedStatements, defaultPreparedStatements), "mysql")
	}
	pool := sqlx.NewDb(sql.OpenDB(conns), "mysql")
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
			err = fmt.Errorf("mysql: AUTH_DB_DSN (%s): gave up waiting for the database: %w", where(dc), err)
		case isRefusal(err):
			err = fmt.Errorf("mysql: AUTH_DB_DSN (%s): the server refused the connection: %w", where(dc), err)
		default:
			err = fmt.Errorf("mysql: AUTH_DB_DSN (%s): database unreachable after %s: %w", where(dc), within, err)
		}
		return nil, nil, redacted(err, dc.Passwd)
	}

	db := sqlstore.New(dialect, pool, nil)
	if cfg.SkipMigrations {
		p, perr := provider(db)
		if err = perr; err == nil {
			err = db.CheckSchema(ctx, where(dc), p)
		}
	} else {
		err = migrate(ctx, db, dc.DBName, where(dc))
	}
	if err == nil {
		err = db.ProbeWritable(ctx, where(dc))
	}
	if err != nil {
		cleanup()
		return nil, nil, redacted(err, dc.Passwd)
	}
	return sqlstore.NewStore(db), cleanup, nil
}

// MigrationStatus connects (waiting as Open does) without migrating and
// reports each migration's state (applied, with its time, or pending).
func MigrationStatus(ctx context.Context, cfg Config) ([]*goose.MigrationStatus, error) {
	dc, err := driverConfig(cfg.DSN)
	if err != nil {
		return nil, err
	}
	connector, err := gomysql.NewConnector(dc)
	if err != nil {
		return nil, redacted(fmt.Errorf("mysql: AUTH_DB_DSN: %w", err), dc.Passwd)
	}
	pool := sqlx.NewDb(sql.OpenDB(connector), "mysql")
	defer pool.Close()
	if err := waitForServer(ctx, pool.DB, sqlstore.Or(cfg.StartupTimeout, defaultStartupTimeout)); err != nil {
		return nil, redacted(fmt.Errorf("mysql: AUTH_DB_DSN (%s): %w", where(dc), err), dc.Passwd)
	}
	db := sqlstore.New(dialect, pool, nil)
	p, err := provider(db)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, redacted(db.Fail(ctx, "migration status", err), dc.Passwd)
	}
	return st, nil
}

// provider is goose's view of migrations.MySQL on the pool.
func provider(db *sqlstore.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations.MySQL, "mysql")
	if err != nil {
		return nil, fmt.Errorf("mysql: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectMySQL, db.Writer().DB, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("mysql: migrations: %w", err)
	}
	return p, nil
}

// driverConfig parses the operator's DSN and sets what the adapter relies on.
func driverConfig(dsn string) (*gomysql.Config, error) {
	dsn = strings.TrimSpace(dsn)
	if dsn == "" {
		return nil, errors.New("mysql: AUTH_DB_DSN is empty (want user:password@tcp(host:3306)/dbname)")
	}
	dc, err := gomysql.ParseDSN(dsn)
	if err != nil {
		// The parser's message never quotes the password, but a DSN it cannot
		// parse may place the password where it looks for something else.
		return nil, redacted(fmt.Errorf("mysql: AUTH_DB_DSN is not a valid DSN (want user:password@tcp(host:3306)/dbname): %w", err), guessPassword(dsn))
	}
	if dc.DBName == "" {
		return nil, errors.New("mysql: AUTH_DB_DSN names no database (want user:password@tcp(host:3306)/dbname)")
	}
	// Times are BIGINT milliseconds, but a DATETIME a future column might add
	// must come back as a time.Time in UTC.
	dc.ParseTime = true
	dc.Loc = time.UTC
	// Goose runs one statement at a time; a single statement per call is also
	// one less way for an injection to do harm.
	dc.MultiStatements = false
	// Rows affected must count changed rows: conditional updates are judged by it
	// (they always change the row they match, so found rows would agree, but
	// the adapter does not depend on that).
	dc.ClientFoundRows = false
	if dc.Timeout == 0 {
		dc.Timeout = defaultDialTimeout
	}
	if dc.ReadTimeout == 0 {
		dc.ReadTimeout = defaultIOTimeout
	}
	if dc.WriteTimeout == 0 {
		dc.WriteTimeout = defaultIOTimeout
	}
	if wantsInterpolation(dsn) {
		dc.InterpolateParams = true
	}
	if _, ok := dc.Params["sql_mode"]; !ok {
		if dc.Params == nil {
			dc.Params = map[string]string{}
		}
		// Strict on any server configuration: a value too long for its column is
		// refused, never silently truncated.
		dc.Params["sql_mode"] = "'TRADITIONAL'"
	}
	return dc, nil
}

// waitForServer waits for the server as every engine does, ending at once on a refusal.
func waitForServer(ctx context.Context, pool *sql.DB, within time.Duration) error {
	return sqlstore.WaitForServer(ctx, pool, within, isRefusal)
}

// isRefusal reports a server that answered and refused the login, which no
// amount of waiting changes.
func isRefusal(err error) bool {
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1044, 1045, 1049, 1698: // access denied to the database, access denied, unknown database, auth plugin refused
		return true
	}
	return false
}

// migrate applies every pending migration of migrations.MySQL. A server-wide
// named lock (GET_LOCK, released by the server if the session dies), held on
// a connection of its own around all of goose's work, serialises instances
// that start together on one database: goose's own session locker leaves its
// first look at the version table unlocked, which costs a racing instance a
// retry.
func migrate(ctx context.Context, db *sqlstore.DB, dbName, where string) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	conn, err := db.Writer().Conn(ctx)
	if err != nil {
		return db.Fail(ctx, "migrate", err)
	}
	defer conn.Close()
	sum := sha256.Sum256([]byte(dbName))
	lock := "authd-migrate-" + hex.EncodeToString(sum[:12])
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(?, ?)`, lock, int(migrationLockWait.Seconds())).Scan(&got); err != nil {
		return db.Fail(ctx, "migrate: lock", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return fmt.Errorf("mysql: migrate: another instance held the migration lock for more than %s", migrationLockWait)
	}
	defer func() {
		var released sql.NullInt64
		_ = conn.QueryRowContext(context.WithoutCancel(ctx), `SELECT RELEASE_LOCK(?)`, lock).Scan(&released)
	}()
	if _, err := p.Up(ctx); err != nil {
		return db.StartupError(ctx, where, "migrate", err)
	}
	return nil
}

// where names the server and database of dc for messages, without the password.
func where(dc *gomysql.Config) string {
	return fmt.Sprintf("%s@%s(%s)/%s", dc.User, dc.Net, dc.Addr, dc.DBName)
}

// redacted masks the password in err's text.
func redacted(err error, password string) error { return sqlstore.Redacted(err, password) }

// guessPassword returns what a DSN that failed to parse most likely holds as
// its password (between the first ':' and the last '@'), to mask it.
func guessPassword(dsn string) string {
	at := strings.LastIndexByte(dsn, '@')
	if at < 0 {
		return ""
	}
	_, pw, ok := strings.Cut(dsn[:at], ":")
	if !ok {
		return ""
	}
	return pw
}
