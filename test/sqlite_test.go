package test

import (
	"log/slog"
	"path/filepath"
	"testing"

	"authd/adapters/sqlite"
	"authd/test/contract"
)

// newSQLiteStore opens a fresh SQLite database in the test's temporary directory.
func newSQLiteStore(t *testing.T) contract.Store {
	t.Helper()
	st, cleanup, err := sqlite.Open(t.Context(), sqlite.Config{DSN: "file:" + filepath.Join(t.TempDir(), "auth.db")}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(cleanup)
	return contractOf(st)
}

// contractOf is the contract's view of an open SQL store. Every engine's Open
// returns the same Store type (the shared SQL core), so this serves them all.
func contractOf(st *sqlite.Store) contract.Store {
	return contract.Store{Tx: st.Tx, Users: st.Users, Sessions: st.Sessions, Tokens: st.Tokens, Outbox: st.Outbox,
		Attempts: st.Attempts, Events: st.Events, TOTP: st.TOTP, RecoveryCodes: st.RecoveryCodes, KeyRing: st.KeyRing, SQL: st.Writer()}
}

func TestSQLiteUsers(t *testing.T)         { t.Parallel(); contract.Users(t, newSQLiteStore) }
func TestSQLiteSessions(t *testing.T)      { t.Parallel(); contract.Sessions(t, newSQLiteStore) }
func TestSQLiteOneTimeTokens(t *testing.T) { t.Parallel(); contract.OneTimeTokens(t, newSQLiteStore) }
func TestSQLiteOutbox(t *testing.T)        { t.Parallel(); contract.Outbox(t, newSQLiteStore) }
func TestSQLiteTransactor(t *testing.T)    { t.Parallel(); contract.Transactor(t, newSQLiteStore) }
func TestSQLiteTokenAttempts(t *testing.T) { t.Parallel(); contract.TokenAttempts(t, newSQLiteStore) }
func TestSQLiteAttemptLog(t *testing.T)    { t.Parallel(); contract.AttemptLog(t, newSQLiteStore) }
func TestSQLiteSchema(t *testing.T)        { t.Parallel(); contract.Schema(t, newSQLiteStore) }
func TestSQLiteAccounts(t *testing.T)      { t.Parallel(); contract.Accounts(t, newSQLiteStore) }
func TestSQLiteKeyRing(t *testing.T)       { t.Parallel(); contract.KeyRing(t, newSQLiteStore) }
