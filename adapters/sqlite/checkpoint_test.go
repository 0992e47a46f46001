package sqlite

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"authd/adapters/internal/sqlstore"
	"authd/domain"
)

// inDatabaseFile polls, until a deadline, for text in the database file itself
// (not its WAL): it gets there when a checkpoint copies the page holding it.
func inDatabaseFile(t *testing.T, path, text string) bool {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read database file: %v", err)
		}
		if bytes.Contains(b, []byte(text)) {
			return true
		}
	}
	return false
}

// probeUser is testUser(n) with an email no other row shares.
func probeUser(n int, tag string) *domain.User {
	u := testUser(n)
	u.Email = domain.MustEmail(fmt.Sprintf("%s-%d@example.com", tag, n))
	return u
}

// One small commit is far from the 1,000 WAL pages at which SQLite would
// checkpoint by itself: the checkpointer copies it into the database file (and
// syncs it) anyway, within about a period.
func TestACommitReachesTheDatabaseFileWithoutWaitingForTheWALToFill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	db, _ := openAt(t, path)
	u := probeUser(1, "checkpoint-probe")
	if err := sqlstore.NewUserRepository(db).Create(t.Context(), u); err != nil {
		t.Fatalf("create: %v", err)
	}
	if !inDatabaseFile(t, path, u.Email.String()) {
		t.Fatal("the commit is still only in the WAL after 10 s")
	}
}

// Commits that never stop do not put the checkpoint off: the checkpointer runs
// one period after the first of them, not after the last. The stream is paced
// so that in 10 s its WAL stays well short of the writer's backstop, which would
// otherwise checkpoint it.
func TestAStreamOfCommitsDoesNotPutTheCheckpointOff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	db, _ := openAt(t, path)
	users := sqlstore.NewUserRepository(db)
	first := probeUser(1, "first-of-a-stream")
	if err := users.Create(t.Context(), first); err != nil {
		t.Fatalf("create: %v", err)
	}
	var stop atomic.Bool
	done := make(chan error, 1)
	go func() {
		var err error
		for n := 2; !stop.Load() && err == nil; n++ {
			err = users.Create(t.Context(), probeUser(n, "stream"))
			time.Sleep(5 * time.Millisecond)
		}
		done <- err
	}()
	found := inDatabaseFile(t, path, first.Email.String())
	stop.Store(true)
	if err := <-done; err != nil {
		t.Fatalf("a write of the stream failed: %v", err)
	}
	if !found {
		t.Fatal("the first commit is still only in the WAL after 10 s of commits")
	}
}
