package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"authd/adapters/internal/sqlstore"
	"authd/internal/testkit"
)

// The janitor's sweep of many ended sessions deletes them a batch at a time,
// each batch committed on its own: a write that queues for the one writer
// while the sweep runs is done while sessions are still left to delete, not
// after the whole sweep (one DELETE of them all held the writer to its end,
// and the partial deletes it waits for below would never have shown).
func TestSweepLetsWritesThroughBetweenBatches(t *testing.T) {
	db, _ := openAt(t, filepath.Join(t.TempDir(), "auth.db"))
	ctx := t.Context()
	users, sessions := sqlstore.NewUserRepository(db), sqlstore.NewSessionRepository(db)
	u := testUser(1)
	if err := users.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	const ended = 20 * sqlstore.SweepBatch
	err := db.WithinTx(ctx, func(ctx context.Context) error {
		for i := range ended {
			s := testSession(i, u.ID)
			if err := sessions.Create(ctx, s, testRefresh("ended", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	left := func() int {
		var n int
		if err := db.Reader().GetContext(ctx, &n, `SELECT count(*) FROM sessions`); err != nil {
			t.Fatal(err)
		}
		return n
	}

	swept := make(chan error, 1)
	go func() {
		_, err := sessions.DeleteExpired(context.Background(), t0.Add(2*time.Hour))
		swept <- err
	}()
	testkit.Eventually(t, time.Minute, func() bool { return left() < ended }, "the first batch deleted")
	late := testUser(2)
	if err := users.Create(ctx, late); err != nil { // queued behind the batch that runs now
		t.Fatal(err)
	}
	if n := left(); n == 0 {
		t.Errorf("the write waited for the whole sweep")
	} else {
		t.Logf("%d of %d sessions still to delete when the write was done", n, ended)
	}
	if err := <-swept; err != nil {
		t.Fatal(err)
	}
	if n := left(); n != 0 {
		t.Errorf("%d sessions left after the sweep", n)
	}
}
