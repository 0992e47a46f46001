package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"authd/adapters/internal/sqlstore"
	"authd/domain"
	"authd/internal/testkit"
)

// holdWriter starts a transaction that keeps the writer busy until the
// returned release is called, so that the transactions started meanwhile queue
// and run as one group. It returns once the transaction runs.
func holdWriter(t *testing.T, db *sqlstore.DB) (release func(), done <-chan error) {
	t.Helper()
	running, hold, finished := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		finished <- db.WithinTx(context.Background(), func(ctx context.Context) error {
			close(running)
			<-hold
			return nil
		})
	}()
	<-running
	return func() { close(hold) }, finished
}

// waitQueued polls until n transactions wait for the writer.
func waitQueued(t *testing.T, db *sqlstore.DB, n int) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, func() bool { q, _, _ := db.GroupStats(); return q >= n },
		"%d transactions queued", n)
}

func userExists(t *testing.T, db *sqlstore.DB, id domain.UserID) bool {
	t.Helper()
	var n int
	if err := db.Writer().Get(&n, `SELECT count(*) FROM users WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// A group shares one COMMIT, yet each transaction in it keeps its own
// outcome: the ones that succeed are committed, the one that fails and the one
// that panics roll back alone, their callers get the error and the panic, and
// one whose caller gave up while it was queued never runs.
func TestGroupCommitKeepsEachTransactionsOutcome(t *testing.T) {
	db, _ := openAt(t, filepath.Join(t.TempDir(), "auth.db"))
	users := sqlstore.NewUserRepository(db)
	release, held := holdWriter(t, db)

	const n = 12
	errFailed := errors.New("the use case refused")
	gaveUp, cancel := context.WithCancel(context.Background())
	var ranCancelled bool
	results := make([]any, n) // error, or the panic value
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx := context.Background()
			if i == 7 {
				ctx = gaveUp
			}
			defer func() {
				if p := recover(); p != nil {
					results[i] = p
				}
			}()
			results[i] = db.WithinTx(ctx, func(ctx context.Context) error {
				if i == 7 {
					ranCancelled = true
				}
				if err := users.Create(ctx, testUser(i)); err != nil {
					return err
				}
				switch i {
				case 3:
					return errFailed
				case 5:
					panic("use case bug")
				}
				return nil
			})
		})
	}
	waitQueued(t, db, n)
	cancel()
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}

	for i := range n {
		exists := userExists(t, db, testUser(i).ID)
		switch i {
		case 3:
			if !errors.Is(results[i].(error), errFailed) || exists {
				t.Errorf("failed transaction: result %v, user stored %v; want its own error and nothing stored", results[i], exists)
			}
		case 5:
			if results[i] != "use case bug" || exists {
				t.Errorf("panicking transaction: result %v, user stored %v; want the panic raised again and nothing stored", results[i], exists)
			}
		case 7:
			if err, _ := results[i].(error); !errors.Is(err, domain.ErrUnavailable) || exists || ranCancelled {
				t.Errorf("cancelled while queued: result %v, stored %v, ran %v; want unavailable and never run", results[i], exists, ranCancelled)
			}
		default:
			if results[i] != nil || !exists {
				t.Errorf("transaction %d: result %v, user stored %v; want committed", i, results[i], exists)
			}
		}
	}
	if _, grouped, commits := db.GroupStats(); grouped < n-1 || commits >= grouped {
		t.Errorf("%d transactions ran in groups with %d commits; want the %d queued ones to share commits", grouped, commits, n-1)
	}
}

// When the engine rolls the whole transaction back under a group (here a
// trigger's RAISE(ROLLBACK), as SQLite does on some errors), nothing of the
// group was committed: the others run again, each alone, and are committed;
// only the transaction that caused it fails.
func TestGroupCommitRunsTheOthersAgainWhenTheTransactionBreaks(t *testing.T) {
	db, _ := openAt(t, filepath.Join(t.TempDir(), "auth.db"))
	users := sqlstore.NewUserRepository(db)
	breaker := testUser(99)
	if _, err := db.Writer().Exec(`CREATE TEMP TRIGGER break_group BEFORE INSERT ON users WHEN NEW.id = '` + string(breaker.ID) +
		`' BEGIN SELECT RAISE(ROLLBACK, 'rolled back by the engine'); END`); err != nil {
		t.Fatal(err)
	}
	release, held := holdWriter(t, db)

	ids := []int{1, 99, 2, 3}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for k, i := range ids {
		wg.Go(func() {
			errs[k] = db.WithinTx(context.Background(), func(ctx context.Context) error { return users.Create(ctx, testUser(i)) })
		})
	}
	waitQueued(t, db, len(ids))
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for k, i := range ids {
		exists := userExists(t, db, testUser(i).ID)
		if i == 99 {
			if errs[k] == nil || exists {
				t.Errorf("the breaking transaction: %v, stored %v; want an error and nothing stored", errs[k], exists)
			}
			continue
		}
		if errs[k] != nil || !exists {
			t.Errorf("transaction %d: %v, stored %v; want it run again and committed", i, errs[k], exists)
		}
	}
}

// A refresh-token read runs on the writer, queued with the group's
// transactions: it sees what the transactions queued before it wrote, once
// that is committed, and nothing of one that rolled back.
func TestRefreshTokenReadQueuesWithTheGroup(t *testing.T) {
	db, _ := openAt(t, filepath.Join(t.TempDir(), "auth.db"))
	users, sessions := sqlstore.NewUserRepository(db), sqlstore.NewSessionRepository(db)
	errRefused := errors.New("the use case refused")
	create := func(i int, fail bool) error {
		return db.WithinTx(context.Background(), func(ctx context.Context) error {
			u := testUser(i)
			if err := users.Create(ctx, u); err != nil {
				return err
			}
			if err := sessions.Create(ctx, testSession(i, u.ID), testRefresh("r", i)); err != nil {
				return err
			}
			if fail {
				return errRefused
			}
			return nil
		})
	}
	release, held := holdWriter(t, db)
	var wg sync.WaitGroup
	createErrs := make([]error, 2)
	for i, fail := range []bool{false, true} {
		wg.Go(func() { createErrs[i] = create(i, fail) })
	}
	waitQueued(t, db, 2)
	type read struct {
		s   *domain.Session
		err error
	}
	reads := make([]read, 2)
	for i := range reads {
		wg.Go(func() {
			_, s, _, err := sessions.RefreshToken(context.Background(), []byte(fmt.Sprint("r", i)))
			reads[i] = read{s, err}
		})
	}
	waitQueued(t, db, 4)
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if createErrs[0] != nil || !errors.Is(createErrs[1], errRefused) {
		t.Fatalf("creating: %v; want committed, then refused", createErrs)
	}
	if reads[0].err != nil || reads[0].s == nil || reads[0].s.ID != "s0" {
		t.Errorf("read of the committed token: %+v; want its session s0", reads[0])
	}
	if !errors.Is(reads[1].err, domain.ErrTokenNotFound) {
		t.Errorf("read of the rolled-back token: %+v; want not found", reads[1])
	}
	if _, grouped, _ := db.GroupStats(); grouped < 4 {
		t.Errorf("%d functions ran in groups; want the reads queued with the transactions", grouped)
	}
}

// A statement on its own (users.Create is one INSERT) keeps its outcome
// whether it runs alone or queued in a group with others: the ones that
// succeed are committed, the one that fails changes nothing and its caller
// gets the error.
func TestStatementOnItsOwnKeepsItsOutcome(t *testing.T) {
	db, _ := openAt(t, filepath.Join(t.TempDir(), "auth.db"))
	users := sqlstore.NewUserRepository(db)
	ctx := context.Background()
	taken := func(n, as int) *domain.User { // user n's email for user "as"
		u := testUser(as)
		u.Email = testUser(n).Email
		return u
	}

	if err := users.Create(ctx, testUser(1)); err != nil || !userExists(t, db, testUser(1).ID) {
		t.Fatalf("alone: %v", err)
	}
	if err := users.Create(ctx, taken(1, 9)); !errors.Is(err, domain.ErrEmailTaken) || userExists(t, db, testUser(9).ID) {
		t.Fatalf("alone, a taken email: %v; want email taken, nothing stored", err)
	}

	_, groupedBefore, _ := db.GroupStats()
	release, held := holdWriter(t, db)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i, u := range []*domain.User{testUser(2), taken(1, 8), testUser(3)} {
		wg.Go(func() { errs[i] = users.Create(ctx, u) })
	}
	waitQueued(t, db, 3)
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || !errors.Is(errs[1], domain.ErrEmailTaken) || errs[2] != nil {
		t.Fatalf("in a group: %v; want stored, email taken, stored", errs)
	}
	if !userExists(t, db, testUser(2).ID) || userExists(t, db, testUser(8).ID) || !userExists(t, db, testUser(3).ID) {
		t.Fatal("in a group: the stored ones are not all there, or the refused one is")
	}
	if _, grouped, _ := db.GroupStats(); grouped < groupedBefore+3 {
		t.Errorf("%d functions ran in groups; want the three statements in one", grouped-groupedBefore)
	}
}
