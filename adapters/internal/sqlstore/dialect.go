package sqlstore

import (
	"database/sql"

	"github.com/jmoiron/sqlx"
)

// Dialect is what an engine tells the shared repositories about itself.
type Dialect struct {
	// Name prefixes error messages ("sqlite", "mysql").
	Name string
	// BindType is the engine's placeholder style (sqlx.QUESTION, sqlx.DOLLAR);
	// the repositories write "?" and the store rebinds once per query.
	BindType int
	// LockRows is appended to a SELECT whose rows a transaction then updates
	// (" FOR UPDATE"); empty where the engine serialises writers anyway.
	LockRows string
	// SkipLocked is appended to a SELECT that claims work rows, so concurrent
	// claimers pass each other by (" FOR UPDATE SKIP LOCKED"); empty where
	// writers are serialised.
	SkipLocked string
	// TxOptions start every transaction (isolation level); nil is the engine's default.
	TxOptions *sql.TxOptions
	// Unavailable reports errors that mean the database cannot serve now
	// (unreachable, overloaded, read-only, timed out), answered 503.
	Unavailable func(err error) bool
	// ReadOnly reports errors that say the database refuses writes (a
	// read-only file, server or standby); at start they stop it with one line.
	ReadOnly func(err error) bool
	// Retryable reports errors that only say the transaction lost a race for
	// locks (deadlock, lock wait timeout, serialization failure): the outermost
	// transaction is run again.
	Retryable func(err error) bool
	// UniqueViolation reports a violation of the unique key on table.column.
	UniqueViolation func(err error, table, column string) bool
	// Text makes text from outside (a user agent, a mail server's error)
	// storable; nil stores it as it is.
	Text func(s string) string
	// LongText does the same for a long free-text column (an error message); nil
	// is Text.
	LongText func(s string) string
	// GroupCommit says the engine has one writer connection, so transactions
	// queue for it anyway: they run on one goroutine, as many as have queued
	// to one COMMIT, each in a savepoint of its own (SQLite).
	GroupCommit bool
	// Greatest is the engine's function of the larger of its arguments
	// (GREATEST; SQLite's is max).
	Greatest string
	// SkipDuplicates, appended to an INSERT, makes a row that would break a
	// unique key be left out, with no error (" ON CONFLICT DO NOTHING"); empty
	// where the engine has no such clause that skips only that (MySQL's INSERT
	// IGNORE skips every error), and the violation is then an error that
	// UniqueViolation recognises.
	SkipDuplicates string
	// BatchDelete is how a DELETE takes a batch of the rows it would delete:
	// BatchInIDs (the zero value), BatchLimit or BatchAnyIDs.
	BatchDelete int
}

// Ways a DELETE takes a batch (Dialect.BatchDelete): its ids IN a subquery
// (SQLite); the DELETE's own ORDER BY and LIMIT (MySQL); = ANY of an ARRAY of
// them, which PostgreSQL looks up in the primary key where IN would join the
// subquery with the whole table.
const (
	BatchInIDs = iota
	BatchLimit
	BatchAnyIDs
)

// Placeholder styles, re-exported so engines need not import sqlx for them.
const (
	Question = sqlx.QUESTION
	Dollar   = sqlx.DOLLAR
)

// deleteBatch is a DELETE of the earliest rows of table (keyed by id) whose
// column is before the first placeholder, at most as many as the second says.
// Taken in column's order, each batch of a sweep walks column's index from its
// start and stops at its batch, past nothing but what earlier batches removed.
func (d Dialect) deleteBatch(table, column string) string {
	first := ` WHERE ` + column + ` < ? ORDER BY ` + column + ` LIMIT ?`
	switch d.BatchDelete {
	case BatchLimit:
		return `DELETE FROM ` + table + first
	case BatchAnyIDs:
		return `DELETE FROM ` + table + ` WHERE id = ANY(ARRAY(SELECT id FROM ` + table + first + `))`
	}
	return `DELETE FROM ` + table + ` WHERE id IN (SELECT id FROM ` + table + first + `)`
}

func (d Dialect) text(s string) string {
	if d.Text == nil {
		return s
	}
	return d.Text(s)
}

func (d Dialect) longText(s string) string {
	if d.LongText == nil {
		return d.text(s)
	}
	return d.LongText(s)
}
