package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"authd/domain"
	"authd/ports"
)

// txAttempts is how many times the outermost transaction runs when it keeps
// losing lock races, before the loss is reported (as a 503).
const txAttempts = 4

// DB is an open store: the pools an engine opened, its dialect, and the
// Transactor and Pinger the core uses directly.
type DB struct {
	d Dialect
	w *sqlx.DB // writes and transactions
	r *sqlx.DB // reads outside transactions (may be w)

	rebound sync.Map   // query written with ? → the engine's placeholders
	group   *committer // transactions with group commit (Dialect.GroupCommit)
}

var (
	_ ports.Transactor = (*DB)(nil)
	_ ports.Pinger     = (*DB)(nil)
)

// New wraps the pools an engine opened: writer for every write and
// transaction, reader for reads outside transactions (the writer again when
// the engine has one pool).
func New(d Dialect, writer, reader *sqlx.DB) *DB {
	if reader == nil {
		reader = writer
	}
	db := &DB{d: d, w: writer, r: reader}
	if d.GroupCommit {
		db.group = &committer{db: db}
	}
	return db
}

// Writer is the pool that writes, for an engine's own maintenance (migrations).
func (db *DB) Writer() *sqlx.DB { return db.w }

// Reader is the pool of reads outside transactions (the writer when the engine has one pool).
func (db *DB) Reader() *sqlx.DB { return db.r }

// Ping reports whether the pools answer, for /readyz; failures are wrapped as
// domain.ErrUnavailable.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.r.PingContext(ctx); err != nil {
		return db.unavailable("ping", err)
	}
	if db.r != db.w {
		if err := db.w.PingContext(ctx); err != nil {
			return db.unavailable("ping", err)
		}
	}
	return nil
}

// q returns query with the engine's placeholders.
func (db *DB) q(query string) string {
	if db.d.BindType == sqlx.QUESTION || db.d.BindType == sqlx.UNKNOWN {
		return query
	}
	if v, ok := db.rebound.Load(query); ok {
		return v.(string)
	}
	r := sqlx.Rebind(db.d.BindType, query)
	db.rebound.Store(query, r)
	return r
}

// txKey is the context key under which WithinTx stores its transaction.
type txKey struct{}

// txValue ties a transaction to the DB that started it, so that a context
// carrying one store's transaction is never used against another store.
type txValue struct {
	db *DB
	tx *sqlx.Tx
	// after collects what must run once the transaction has committed (see
	// afterCommit); the outermost WithinTx runs it.
	after *[]func()
}

// tx returns the transaction of this DB that ctx carries, or nil.
func (db *DB) tx(ctx context.Context) *sqlx.Tx {
	if v, ok := ctx.Value(txKey{}).(txValue); ok && v.db == db {
		return v.tx
	}
	return nil
}

// reader is what a read runs on: the caller's transaction when there is one
// (so it sees the transaction's own writes), else the read pool.
func (db *DB) reader(ctx context.Context) sqlx.ExtContext {
	if tx := db.tx(ctx); tx != nil {
		return tx
	}
	return db.r
}

// readBeforeWrite runs read, a read that a write of the same request follows,
// on the writer when the engine has group commit and ctx carries no
// transaction; elsewhere on reader(ctx). SQLite drops a reader connection's
// page cache whenever the WAL has changed since its last read, so under writes
// every read there goes back to the file and takes the shared-memory locks
// again; the writer's cache stays warm, and queued with the group's
// transactions the read shares their locking (one load run: refresh CPU per
// request -11%). It is queued like a transaction and answers only after the
// group's COMMIT, so what it saw is committed. read must use the context it is
// given (in a group, one that the caller's cancellation cannot interrupt).
// Only for reads on paths that write anyway: it waits for the writer.
func (db *DB) readBeforeWrite(ctx context.Context, read func(ctx context.Context, q sqlx.ExtContext) error) error {
	if db.group == nil || db.tx(ctx) != nil {
		return read(ctx, db.reader(ctx))
	}
	return db.group.read(ctx, read)
}

// afterCommit runs fn once the transaction that ctx carries has committed, on
// the goroutine of its outermost WithinTx before that returns; never when it
// rolls back, and only for the attempt that commits when it is run again. fn
// runs at once when ctx carries no transaction of this DB. For what must
// follow a change that others may only learn of once it is committed.
func (db *DB) afterCommit(ctx context.Context, fn func()) {
	if v, ok := ctx.Value(txKey{}).(txValue); ok && v.db == db && v.after != nil {
		*v.after = append(*v.after, fn)
		return
	}
	fn()
}

// WithinTx runs fn in one transaction, so that a use case's writes and the mail
// it enqueues commit or roll back together. A call with a context that already
// carries this DB's transaction joins it. fn's error, or a panic, rolls back;
// fn's error is returned as is.
//
// When the engine aborts the transaction because it lost a race for locks, the
// outermost WithinTx rolls back and runs fn again, up to four times in all
// with a short random pause, since such a loss says nothing about the request.
// fn must therefore touch nothing but the store through the context it
// receives, or tolerate running again. Nested calls never retry: the outer
// transaction is already lost.
func (db *DB) WithinTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if db.tx(ctx) != nil {
		return fn(ctx)
	}
	var after []func()
	err := db.retry(ctx, func() error {
		if db.group != nil {
			return db.group.do(ctx, fn, &after)
		}
		return db.runTx(ctx, fn, &after)
	})
	if err != nil {
		return err
	}
	for _, f := range after {
		f()
	}
	return nil
}

// retry calls run until it does not fail with a lost lock race, at most
// txAttempts times, pausing a short random while between calls.
func (db *DB) retry(ctx context.Context, run func() error) error {
	pause := 5 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := run()
		if err == nil || attempt == txAttempts || db.d.Retryable == nil || !db.d.Retryable(err) || ctx.Err() != nil {
			return err
		}
		timer := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
		pause *= 2
	}
}

// runTx runs fn in one new transaction, collecting in after what fn leaves
// to run once it has committed (emptied first, and again when it fails).
func (db *DB) runTx(ctx context.Context, fn func(ctx context.Context) error, after *[]func()) (err error) {
	*after = nil
	defer func() {
		if err != nil {
			*after = nil
		}
	}()
	tx, err := db.w.BeginTxx(ctx, db.d.TxOptions)
	if err != nil {
		return db.fail(ctx, "begin transaction", err)
	}
	done := false
	defer func() {
		if !done { // fn failed or panicked
			_ = tx.Rollback()
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, txValue{db: db, tx: tx, after: after})); err != nil {
		return err
	}
	done = true // a failed commit has ended the transaction too
	if err := tx.Commit(); err != nil {
		return db.fail(ctx, "commit", err)
	}
	return nil
}

// exec runs one statement and returns how many rows it changed: in the
// caller's transaction when ctx carries one, else on its own (autocommit, so
// the statement is atomic by itself), retried like a transaction when it loses
// a lock race. With group commit, a statement on its own is queued with the
// group's transactions, which wait for the one writer connection anyway, and
// shares their COMMIT.
func (db *DB) exec(ctx context.Context, op, query string, args ...any) (int64, error) {
	var n int64
	run := func(ctx context.Context, e sqlx.ExecerContext) error {
		res, err := e.ExecContext(ctx, db.q(query), args...)
		if err != nil {
			return db.fail(ctx, op, err)
		}
		n, err = res.RowsAffected()
		return db.fail(ctx, op, err)
	}
	if tx := db.tx(ctx); tx != nil {
		return n, run(ctx, tx)
	}
	if db.group != nil {
		return n, db.WithinTx(ctx, func(ctx context.Context) error { return run(ctx, db.tx(ctx)) })
	}
	return n, db.retry(ctx, func() error { return run(ctx, db.w) })
}

// SweepBatch bounds the rows one statement of a sweep deletes.
const SweepBatch = 1000

// sweep deletes the rows of table (keyed by id) whose column (indexed) is
// before cutoff, SweepBatch at a time, and returns how many it deleted. Each
// batch is a statement on its own that commits before the next starts, so a
// sweep of many rows never holds locks, or SQLite's writer, for longer than one
// batch takes: the requests' writes (on SQLite queued for the same writer) run
// between two batches instead of waiting for all of it (one DELETE of 200,000
// ended sessions kept SQLite's writer for 4 s). Rows that a concurrent sweep
// deleted first only end this one early; the rest are left for the next.
func (db *DB) sweep(ctx context.Context, op, table, column string, cutoff int64) (int, error) {
	query := db.d.deleteBatch(table, column)
	total := 0
	for {
		n, err := db.exec(ctx, op, query, cutoff, SweepBatch)
		total += int(n)
		if err != nil || n < SweepBatch {
			return total, err
		}
	}
}

// write runs fn with the transaction it must write on: the caller's when ctx
// carries one, else a new one, so that a conditional update and the read that
// follows it are one unit and a lost lock race is retried.
func (db *DB) write(ctx context.Context, fn func(ctx context.Context, tx *sqlx.Tx) error) error {
	return db.WithinTx(ctx, func(ctx context.Context) error {
		return fn(ctx, db.tx(ctx))
	})
}

// get and sel read one row or many into dest, with the engine's placeholders.
func (db *DB) get(ctx context.Context, q sqlx.QueryerContext, dest any, query string, args ...any) error {
	return sqlx.GetContext(ctx, q, dest, db.q(query), args...)
}

func (db *DB) sel(ctx context.Context, q sqlx.QueryerContext, dest any, query string, args ...any) error {
	return sqlx.SelectContext(ctx, q, dest, db.q(query), args...)
}

// txExec runs a statement in tx and returns the rows it changed.
func (db *DB) txExec(ctx context.Context, tx *sqlx.Tx, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, db.q(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// fail translates a driver error at the boundary: domain errors pass through,
// a cancelled or expired context and an unusable database become
// domain.ErrUnavailable, anything else is wrapped with the operation's name
// (never the SQL text).
func (db *DB) fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*domain.Error](err); ok {
		return err
	}
	if db.isUnavailable(ctx, err) {
		return db.unavailable(op, err)
	}
	return fmt.Errorf("%s: %s: %w", db.d.Name, op, err)
}

// Fail is fail for the engines' own operations (migrations, start-up).
func (db *DB) Fail(ctx context.Context, op string, err error) error { return db.fail(ctx, op, err) }

func (db *DB) unavailable(op string, err error) error {
	return domain.WrapUnavailable(fmt.Errorf("%s: %s: %w", db.d.Name, op, err))
}

// isUnavailable reports whether err means the database could not be used in
// time, rather than that the request was wrong.
func (db *DB) isUnavailable(ctx context.Context, err error) bool {
	if ctx != nil && ctx.Err() != nil {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		strings.Contains(err.Error(), "sql: database is closed") || strings.Contains(err.Error(), "sql: connection is already closed") {
		return true
	}
	return db.d.Unavailable != nil && db.d.Unavailable(err)
}

// placeholders returns n comma-separated question marks, for IN lists.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
