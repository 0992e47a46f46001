package mysql

import (
	"context"

	"github.com/jmoiron/sqlx"
)

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
	return db.r
}

// WithinTx runs fn in one transaction, so that a use case's writes (and the mail
// it enqueues) commit or roll back together.
// A call with a context that already carries this DB's transaction joins it. fn's
// error, or a panic, rolls back; fn's error is returned as is.
func (db *DB) WithinTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if db.tx(ctx) != nil {
		return fn(ctx)
	}
	tx, err := db.w.BeginTxx(ctx, nil)
	if err != nil {
		return fail(ctx, "begin transaction", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, txValue{db: db, tx: tx})); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		committed = true // a failed commit has ended the transaction too
		return fail(ctx, "commit", err)
	}
	committed = true
	return nil
}

// write runs fn with the transaction it must write on: the caller's when ctx
// carries one, else a new one, so a conditional update and the read that
// follows it see the same state.
func (db *DB) write(ctx context.Context, fn func(ctx context.Context, tx *sqlx.Tx) error) error {
	return db.WithinTx(ctx, func(ctx context.Context) error {
		return fn(ctx, db.tx(ctx))
	})
}
