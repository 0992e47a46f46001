package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"authd/adapters/internal/sqlstore"
	"authd/migrations"
)

// driverName is the database/sql name under which modernc.org/sqlite registers.
const driverName = "sqlite"

// readerConns bounds the read-only pool; SQLite readers in WAL mode do not block
// each other, so a few connections let reads proceed while the writer works.
const readerConns = 4

// defaultPragmas are applied to every connection unless the DSN already sets the
// same pragma: WAL so readers never wait for the writer, a busy timeout so that
// a second process waits instead of failing, enforced foreign keys for the
// cascades, NORMAL sync, which is durable enough in WAL mode, and the writer's
// checkpoint only as a backstop for the checkpointer's (checkpoint.go).
var defaultPragmas = []struct{ name, value string }{
	{"busy_timeout", "busy_timeout(10000)"},
	{"foreign_keys", "foreign_keys(1)"},
	{"journal_mode", "journal_mode(WAL)"},
	{"synchronous", "synchronous(NORMAL)"},
	{"wal_autocheckpoint", walBackstop},
}

// driverShorthands are the driver's own DSN keys for the pragmas above; when the
// operator sets one of them, their choice wins over our default.
var driverShorthands = map[string]string{
	"_busy_timeout": "busy_timeout", "_timeout": "busy_timeout",
	"_foreign_keys": "foreign_keys", "_fk": "foreign_keys",
	"_journal_mode": "journal_mode", "_journal": "journal_mode",
	"_synchronous": "synchronous", "_sync": "synchronous",
}

// Config says where the database lives, so that deployments choose the file
// (AUTH_DB_DSN) while the adapter keeps the connection settings it relies on.
type Config struct {
	// DSN is a file path or a "file:" URI such as "file:/var/lib/authd/auth.db";
	// query parameters are kept and the adapter's pragmas are merged in.
	DSN string
	// SkipMigrations makes Open apply no migration and fail while any is
	// pending (AUTH_MIGRATE=false: `authd migrate up` applies them).
	SkipMigrations bool
}

// Open opens (creating it and its directory if needed) and migrates the
// database, so that a fresh data directory is ready to serve; the returned
// cleanup closes it.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Store, func(), error) {
	writerDSN, readerDSN, path, err := buildDSNs(cfg.DSN)
	if err != nil {
		return nil, nil, err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, nil, fmt.Errorf("sqlite: create data directory: %w", err)
		}
	}

	ck, err := newCheckpointer(writerDSN, checkpointPeriod, log)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: open checkpointer: %w", err)
	}
	w, err := openPool(writerDSN, ck.committed)
	if err != nil {
		ck.close()
		return nil, nil, fmt.Errorf("sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer connects first: it switches the file to WAL before any reader opens it.
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		ck.close()
		return nil, nil, sqlstore.New(dialect, w, nil).StartupError(ctx, path, "open", err)
	}

	r, err := openPool(readerDSN, nil)
	if err != nil {
		_ = w.Close()
		ck.close()
		return nil, nil, fmt.Errorf("sqlite: open reader: %w", err)
	}
	r.SetMaxOpenConns(readerConns)
	r.SetMaxIdleConns(readerConns)
	r.SetConnMaxIdleTime(5 * time.Minute)
	db := sqlstore.New(dialect, w, r)
	cleanup := func() {
		ck.close()
		_ = r.Close()
		_ = w.Close()
	}
	if err := r.PingContext(ctx); err != nil {
		cleanup()
		return nil, nil, db.StartupError(ctx, path, "open reader", err)
	}

	if cfg.SkipMigrations {
		p, perr := provider(db)
		if err = perr; err == nil {
			err = db.CheckSchema(ctx, path, p)
		}
	} else {
		err = migrate(ctx, db, path)
	}
	if err == nil {
		err = db.ProbeWritable(ctx, path)
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	ck.start()
	return sqlstore.NewStore(db), cleanup, nil
}

// openPool returns a pool on dsn whose connections keep their prepared
// statements (see newCachingConnector) and, unless it is nil, call onCommit
// whenever they commit.
func openPool(dsn string, onCommit func()) (*sqlx.DB, error) {
	c, err := newCachingConnector(dsn, onCommit)
	if err != nil {
		return nil, err
	}
	return sqlx.NewDb(sql.OpenDB(c), driverName), nil
}

// MigrationStatus opens the database without migrating it and reports each
// migration's state (applied, with its time, or pending).
func MigrationStatus(ctx context.Context, cfg Config) ([]*goose.MigrationStatus, error) {
	writerDSN, _, _, err := buildDSNs(cfg.DSN)
	if err != nil {
		return nil, err
	}
	w, err := sqlx.Open(driverName, writerDSN)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	defer w.Close()
	db := sqlstore.New(dialect, w, nil)
	p, err := provider(db)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, db.Fail(ctx, "migration status", err)
	}
	return st, nil
}

// provider is goose's view of migrations.SQLite on the writer.
func provider(db *sqlstore.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations.SQLite, "sqlite")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.Writer().DB, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	return p, nil
}

// migrate applies every pending migration of migrations.SQLite on the writer.
func migrate(ctx context.Context, db *sqlstore.DB, path string) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return db.StartupError(ctx, path, "migrate", err)
	}
	return nil
}

// buildDSNs turns the operator's DSN into the writer's and the reader's, with the
// adapter's pragmas merged in, and returns the file's path on disk.
func buildDSNs(raw string) (writer, reader, path string, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "", "", errors.New("sqlite: empty DSN")
	}
	base, query, _ := strings.Cut(raw, "?")
	if rest, ok := strings.CutPrefix(base, "file:"); ok {
		if auth, ok := strings.CutPrefix(rest, "//"); ok {
			host, p, _ := strings.Cut(auth, "/")
			if host != "" && host != "localhost" {
				return "", "", "", fmt.Errorf("sqlite: DSN names host %q; only local files are supported", host)
			}
			rest = "/" + p
		}
		if path, err = url.PathUnescape(rest); err != nil {
			return "", "", "", fmt.Errorf("sqlite: DSN path: %w", err)
		}
	} else {
		path = base
		base = "file:" + strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(base)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", "", "", fmt.Errorf("sqlite: DSN query: %w", err)
	}
	if path == "" || path == ":memory:" || q.Get("mode") == "memory" {
		// Two pools on an in-memory database would be two different databases.
		return "", "", "", errors.New("sqlite: DSN must name a database file (in-memory databases are not supported)")
	}

	set := map[string]bool{}
	for _, p := range q["_pragma"] {
		set[pragmaName(p)] = true
	}
	for k := range q {
		if name, ok := driverShorthands[strings.ToLower(k)]; ok {
			set[name] = true
		}
	}
	for _, p := range defaultPragmas {
		if !set[p.name] {
			q.Add("_pragma", p.value)
		}
	}
	q.Set("_txlock", "immediate")
	writer = base + "?" + q.Encode()

	q.Del("_txlock")
	q.Add("_pragma", "query_only(1)")
	reader = base + "?" + q.Encode()
	return writer, reader, path, nil
}

// pragmaName returns the lower-case name of a "_pragma" value such as
// "busy_timeout(5000)" or "journal_mode=WAL".
func pragmaName(p string) string {
	if i := strings.IndexAny(p, "(= "); i >= 0 {
		p = p[:i]
	}
	return strings.ToLower(strings.TrimSpace(p))
}
