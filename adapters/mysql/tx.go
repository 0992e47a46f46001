package mysql

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"
)

// txAttempts is how many times the outermost WithinTx runs a transaction that
// InnoDB aborted for a deadlock or a lock wait timeout before giving up.
const txAttempts = 4

// txKey is the context key under which WithinTx stores its transaction.
type txKey struct{}

// txValue ties a transaction to the DB that started it, so that a context
// carrying one store's transaction is never used against another store.
type txValue struct {
	db *DB
	tx *sqlx.Tx
}

// tx returns the transaction of this DB that ctx carries, or nil.
func (db *DB) tx(ctx context.Context) *sqlx.Tx {
	if v, ok := ctx.Value(txKey{}).(txValue); ok && v.db == db {
		return v.tx
	}
	return nil
}

// read returns what a read should run on: the caller's transaction when there is
// one (so it sees the transaction's own writes), else the pool.
func (db *DB) read(ctx context.Context) sqlx.ExtContext {
	if tx := db.tx(ctx); tx != nil {
		return tx
	}
	return db.pool
}

// WithinTx runs fn in one transaction (READ COMMITTED, set on every
// connection by sessionConnector), so that a use case's writes and the mail it
// enqueues commit or roll back together. A call with a context that already
// carries this DB's transaction joins it. fn's error, or a panic, rolls back;
// fn's error is returned as is.
//
// When InnoDB aborts the transaction for a deadlock (1213) or a lock wait
// timeout (1205), the outermost WithinTx rolls back and runs fn again, up to
// four times in all with a short random pause, since such a loss says nothing
// about the request. fn must therefore touch nothing but the store through the
// context it receives, or tolerate running again. Nested calls never retry:
// the outer transaction is already lost.
func (db *DB) WithinTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if db.tx(ctx) != nil {
		return fn(ctx)
	}
	return retry(ctx, func() error { return db.runTx(ctx, fn) })
}

// retry calls run until it does not fail with a lock conflict, at most
// txAttempts times, pausing a short random while between calls.
func retry(ctx context.Context, run func() error) error {
	pause := 5 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := run()
		if err == nil || attempt == txAttempts || !isConflict(err) || ctx.Err() != nil {
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

// runTx runs fn in one new transaction.
func (db *DB) runTx(ctx context.Context, fn func(ctx context.Context) error) error {
	tx, err := db.pool.BeginTxx(ctx, nil)
	if err != nil {
		return fail(ctx, "begin transaction", err)
	}
	done := false
	defer func() {
		if !done { // fn failed or panicked
			_ = tx.Rollback()
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, txValue{db: db, tx: tx})); err != nil {
		return err
	}
	done = true // a failed commit has ended the transaction too
	if err := tx.Commit(); err != nil {
		return fail(ctx, "commit", err)
	}
	return nil
}

// exec runs one statement and returns how many rows it changed: in the
// caller's transaction when ctx carries one, else on its own (autocommit, so
// the statement is atomic by itself), retried like a transaction when it loses
// a lock race.
func (db *DB) exec(ctx context.Context, op, query string, args ...any) (int64, error) {
	var n int64
	run := func(e sqlx.ExecerContext) error {
		res, err := e.ExecContext(ctx, query, args...)
		if err != nil {
			return fail(ctx, op, err)
		}
		n, err = res.RowsAffected()
		return fail(ctx, op, err)
	}
	if tx := db.tx(ctx); tx != nil {
		return n, run(tx)
	}
	err := retry(ctx, func() error { return run(db.pool) })
	return n, err
}

// write runs fn with the transaction it must write on: the caller's when ctx
// carries one, else a new one, so that a conditional update and the read that
// follows it are one unit and a lost lock race is retried.
func (db *DB) write(ctx context.Context, fn func(ctx context.Context, tx *sqlx.Tx) error) error {
	return db.WithinTx(ctx, func(ctx context.Context) error {
		return fn(ctx, db.tx(ctx))
	})
}
