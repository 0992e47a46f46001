package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pressly/goose/v3"
)

// ErrReadOnly marks a database that refuses writes (a read-only file or mount,
// a server in read-only mode, a standby): not a temporary outage, so start-up
// stops at once instead of waiting for it.
var ErrReadOnly = errors.New("the database is read-only")

// StartupError classifies an error met while opening the store: a read-only
// database is reported as one, naming AUTH_DB_DSN and where (never a
// password); anything else as Fail does.
func (db *DB) StartupError(ctx context.Context, where, op string, err error) error {
	if err != nil && db.d.ReadOnly != nil && db.d.ReadOnly(err) {
		return fmt.Errorf("%s: AUTH_DB_DSN (%s): %w and authd must write to it (%s: %v)", db.d.Name, where, ErrReadOnly, op, err)
	}
	return db.fail(ctx, op, err)
}

// ProbeWritable makes a write that changes nothing, in a transaction it rolls
// back, so that a database that refuses writes is found at start rather than
// by the first request.
func (db *DB) ProbeWritable(ctx context.Context, where string) error {
	tx, err := db.w.BeginTxx(ctx, db.d.TxOptions)
	if err != nil {
		return db.StartupError(ctx, where, "write check", err)
	}
	defer func() { _ = tx.Rollback() }()
	var id int64
	if err := tx.QueryRowxContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM goose_db_version`).Scan(&id); err != nil {
		return db.StartupError(ctx, where, "write check", err)
	}
	if _, err := tx.ExecContext(ctx, db.w.Rebind(`UPDATE goose_db_version SET is_applied = is_applied WHERE id = ?`), id); err != nil {
		return db.StartupError(ctx, where, "write check", err)
	}
	return nil
}

// CheckSchema fails unless every migration of p is applied: serve with
// AUTH_MIGRATE=false never runs on a schema older than its code.
func (db *DB) CheckSchema(ctx context.Context, where string, p *goose.Provider) error {
	st, err := p.Status(ctx)
	if err != nil {
		return db.StartupError(ctx, where, "migration status", err)
	}
	var pending []string
	for _, s := range st {
		if s.State == goose.StatePending {
			pending = append(pending, s.Source.Path)
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("%s: the schema has %d pending migration(s) (%s) and AUTH_MIGRATE=false: run `authd migrate up` first",
			db.d.Name, len(pending), strings.Join(pending, ", "))
	}
	return nil
}
