package test

import (
	"path/filepath"
	"testing"

	"authd/adapters/sqlite"
	"authd/test/contract"
)

// newSQLiteStore opens a fresh SQLite database in the test's temporary directory.
func newSQLiteStore(t *testing.T) contract.Store {
	t.Helper()
	db, cleanup, err := sqlite.Open(t.Context(), sqlite.Config{DSN: "file:" + filepath.Join(t.TempDir(), "auth.db")})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(cleanup)
	return contract.Store{
		Tx:       db,
		Users:    sqlite.NewUserRepository(db),
		Sessions: sqlite.NewSessionRepository(db),
		Tokens:   sqlite.NewOneTimeTokenRepository(db),
		Outbox:   sqlite.NewOutbox(db),
		Attempts: sqlite.NewAttemptLog(db),
	}
}

func TestSQLiteUsers(t *testing.T)         { contract.Users(t, newSQLiteStore) }
func TestSQLiteSessions(t *testing.T)      { contract.Sessions(t, newSQLiteStore) }
func TestSQLiteOneTimeTokens(t *testing.T) { contract.OneTimeTokens(t, newSQLiteStore) }
func TestSQLiteOutbox(t *testing.T)        { contract.Outbox(t, newSQLiteStore) }
func TestSQLiteTransactor(t *testing.T)    { contract.Transactor(t, newSQLiteStore) }
func TestSQLiteTokenAttempts(t *testing.T) { contract.TokenAttempts(t, newSQLiteStore) }
func TestSQLiteAttemptLog(t *testing.T)    { contract.AttemptLog(t, newSQLiteStore) }
