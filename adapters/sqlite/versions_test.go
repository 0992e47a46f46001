package sqlite

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"authd/adapters/internal/sqlstore"
	"authd/domain"
	"authd/ports"
)

// bumpRecorder is an AccountVersions that notes each bump and what another
// connection could read of the account at that moment.
type bumpRecorder struct {
	db *sqlstore.DB

	mu    sync.Mutex
	bumps []domain.UserID
	seen  map[domain.UserID]string // first_name read beside the bump, through the reader pool
}

func (r *bumpRecorder) Bump(_ context.Context, id domain.UserID) error {
	var name string
	if err := r.db.Reader().Get(&name, `SELECT first_name FROM users WHERE id = ?`, id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bumps = append(r.bumps, id)
	r.seen[id] = name
	return nil
}

func (r *bumpRecorder) Start(context.Context, domain.UserID) (string, error) { return "", nil }

func (r *bumpRecorder) got() ([]domain.UserID, map[domain.UserID]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bumps), r.seen
}

// versioned opens a store whose account store bumps versions in a recorder,
// with users 0..n-1 stored.
func versioned(t *testing.T, n int) (*sqlstore.DB, ports.UserRepository, *bumpRecorder) {
	t.Helper()
	st, cleanup, err := Open(t.Context(), Config{DSN: "file:" + filepath.Join(t.TempDir(), "auth.db")}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	rec := &bumpRecorder{db: st.DB, seen: map[domain.UserID]string{}}
	users := Users(st, rec, nil)
	for i := range n {
		if err := users.Create(t.Context(), testUser(i)); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := rec.got(); len(b) != 0 {
		t.Fatalf("creating accounts bumped %v; want no bump (no copy of a new account exists)", b)
	}
	return st.DB, users, rec
}

func rename(name string) func(*domain.User) error {
	return func(u *domain.User) error { u.Profile.FirstName = name; return nil }
}

// An account's version is bumped once its change is committed, where every
// other connection reads it, and never for a change that rolled back.
func TestAccountVersionIsBumpedAfterTheCommitOnly(t *testing.T) {
	db, users, rec := versioned(t, 2)
	ctx := context.Background()
	alice, bob := testUser(0).ID, testUser(1).ID

	if err := users.Update(ctx, alice, rename("Alice")); err != nil {
		t.Fatal(err)
	}
	errRefused := errors.New("the use case refused")
	err := db.WithinTx(ctx, func(ctx context.Context) error {
		if err := users.Update(ctx, bob, rename("Bob")); err != nil {
			return err
		}
		return errRefused
	})
	if !errors.Is(err, errRefused) {
		t.Fatal(err)
	}
	err = db.WithinTx(ctx, func(ctx context.Context) error {
		if err := users.Update(ctx, alice, rename("Alicia")); err != nil {
			return err
		}
		if b, _ := rec.got(); len(b) != 1 {
			t.Errorf("bumps before the commit: %v; want only the earlier change's", b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	bumps, seen := rec.got()
	if !slices.Equal(bumps, []domain.UserID{alice, alice}) || seen[alice] != "Alicia" {
		t.Errorf("bumps %v, the bump saw %q; want two bumps of alice, the last seeing the committed change", bumps, seen[alice])
	}
}

// In a group commit each transaction's bump waits for the group's COMMIT, and
// one that rolled back alone in its savepoint bumps nothing.
func TestAccountVersionBumpsInAGroupFollowItsCommit(t *testing.T) {
	const n = 8
	db, users, rec := versioned(t, n)
	release, held := holdWriter(t, db)
	errRefused := errors.New("the use case refused")
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_ = db.WithinTx(context.Background(), func(ctx context.Context) error {
				if err := users.Update(ctx, testUser(i).ID, rename("renamed")); err != nil {
					return err
				}
				if i%2 == 1 {
					return errRefused
				}
				return nil
			})
		})
	}
	waitQueued(t, db, n)
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	bumps, seen := rec.got()
	slices.Sort(bumps)
	var want []domain.UserID
	for i := 0; i < n; i += 2 {
		want = append(want, testUser(i).ID)
	}
	if !slices.Equal(bumps, want) {
		t.Fatalf("bumped %v; want exactly the committed accounts %v", bumps, want)
	}
	for _, id := range want {
		if seen[id] != "renamed" {
			t.Errorf("the bump of %s saw %q; want the committed change", id, seen[id])
		}
	}
	if _, grouped, _ := db.GroupStats(); grouped < n {
		t.Errorf("%d transactions ran in groups; want the %d queued ones grouped", grouped, n)
	}
}
