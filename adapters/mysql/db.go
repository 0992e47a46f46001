package mysql

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"authd/migrations"
)

// Config says where the database is and how long start-up may wait for it.
type Config struct {
	DSN             string
	StartupTimeout  time.Duration // 0: 30s
	MaxOpenConns    int           // 0: 20
	MaxIdleConns    int           // 0: 10
	ConnMaxLifetime time.Duration // 0: 5m
}

// DB is the connection pool; it implements ports.Transactor and ports.Pinger.
// Reads outside a transaction and writes share the pool (w and r are the same).
type DB struct {
	w *sqlx.DB
	r *sqlx.DB
}

// Open connects, waiting up to StartupTimeout for the server, and applies the
// migrations. Its error names AUTH_DB_DSN and never the password.
func Open(ctx context.Context, cfg Config) (*DB, func(), error) {
	dsn, err := gomysql.ParseDSN(cfg.DSN)
	if err != nil {
		return nil, nil, errors.New("mysql: AUTH_DB_DSN is not a valid DSN (user:pass@tcp(host:3306)/db?parseTime=true)")
	}
	dsn.ParseTime, dsn.Loc = true, time.UTC
	if dsn.Timeout == 0 {
		dsn.Timeout = 5 * time.Second
	}
	if dsn.ReadTimeout == 0 {
		dsn.ReadTimeout = 30 * time.Second
	}
	if dsn.WriteTimeout == 0 {
		dsn.WriteTimeout = 30 * time.Second
	}
	connector, err := gomysql.NewConnector(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("mysql: AUTH_DB_DSN: %w", err)
	}
	pool := sqlx.NewDb(sqlOpenDB(connector), "mysql")
	pool.SetMaxOpenConns(orInt(cfg.MaxOpenConns, 20))
	pool.SetMaxIdleConns(orInt(cfg.MaxIdleConns, 10))
	pool.SetConnMaxLifetime(orDur(cfg.ConnMaxLifetime, 5*time.Minute))
	db := &DB{w: pool, r: pool}
	closeFn := func() { _ = pool.Close() }

	wait := orDur(cfg.StartupTimeout, 30*time.Second)
	deadline := time.Now().Add(wait)
	var pingErr error
	for backoff := 100 * time.Millisecond; ; backoff = min(backoff*2, 2*time.Second) {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		pingErr = pool.PingContext(pctx)
		cancel()
		if pingErr == nil || time.Now().Add(backoff).After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
	}
	if pingErr != nil {
		closeFn()
		return nil, nil, fmt.Errorf("mysql: AUTH_DB_DSN: database %s@%s unreachable after %s: %s", dsn.User, dsn.Addr, wait, redact(pingErr, dsn.Passwd))
	}
	sub, err := fs.Sub(migrations.MySQL, "mysql")
	if err == nil {
		var p *goose.Provider
		if p, err = goose.NewProvider(goose.DialectMySQL, pool.DB, sub, goose.WithDisableGlobalRegistry(true)); err == nil {
			_, err = p.Up(ctx)
		}
	}
	if err != nil {
		closeFn()
		return nil, nil, fmt.Errorf("mysql: migrate: %s", redact(err, dsn.Passwd))
	}
	return db, closeFn, nil
}

// Ping reports whether the database answers, for /readyz.
func (db *DB) Ping(ctx context.Context) error {
	return fail(ctx, "ping", db.r.PingContext(ctx))
}

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func orDur(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
