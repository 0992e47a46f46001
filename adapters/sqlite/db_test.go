package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"authd/adapters/internal/sqlstore"
	"authd/domain"
	"authd/migrations"
)

var t0 = time.Date(2026, time.November, 22, 10, 0, 0, 0, time.UTC)

// openAt opens the database file at path and closes it when the test ends.
func openAt(t *testing.T, path string) (*sqlstore.DB, func()) {
	t.Helper()
	st, cleanup, err := Open(t.Context(), Config{DSN: "file:" + path}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(cleanup)
	return st.DB, cleanup
}

// testSession is session "s<n>" of user, live for an hour from t0.
func testSession(n int, user domain.UserID) *domain.Session {
	return &domain.Session{ID: domain.SessionID(fmt.Sprint("s", n)), UserID: user, CreatedAt: t0, LastUsedAt: t0,
		ExpiresAt: t0.Add(time.Hour), RefreshExpiresAt: t0.Add(time.Hour)}
}

// testRefresh is a refresh token with hash "<prefix><n>", valid for an hour from t0.
func testRefresh(prefix string, n int) domain.RefreshToken {
	return domain.RefreshToken{Hash: []byte(fmt.Sprint(prefix, n)), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
}

func testUser(n int) *domain.User {
	return &domain.User{
		ID:           domain.UserID(fmt.Sprintf("00000000-0000-4000-8000-%012d", n)),
		Email:        domain.MustEmail(fmt.Sprintf("user%d@example.com", n)),
		PasswordHash: "hash",
		Role:         "customer",
		CreatedAt:    t0,
		UpdatedAt:    t0,
	}
}

func TestOpenSetsThePragmasTheAdapterReliesOn(t *testing.T) {
	db, _ := openAt(t, filepath.Join(t.TempDir(), "auth.db"))
	ctx := t.Context()
	for _, pool := range []struct {
		name string
		q    interface {
			GetContext(ctx context.Context, dest any, query string, args ...any) error
		}
		queryOnly int
	}{{"writer", db.Writer(), 0}, {"reader", db.Reader(), 1}} {
		var mode string
		var fk, busy, sync, qo, ckpt int
		for _, p := range []struct {
			pragma string
			dest   any
		}{{"journal_mode", &mode}, {"foreign_keys", &fk}, {"busy_timeout", &busy}, {"synchronous", &sync}, {"query_only", &qo},
			{"wal_autocheckpoint", &ckpt}} {
			if err := pool.q.GetContext(ctx, p.dest, "PRAGMA "+p.pragma); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", pool.name, p.pragma, err)
			}
		}
		if mode != "wal" || fk != 1 || busy != 10000 || sync != 1 || qo != pool.queryOnly || ckpt != 16000 {
			t.Errorf("%s: journal_mode=%s foreign_keys=%d busy_timeout=%d synchronous=%d query_only=%d wal_autocheckpoint=%d",
				pool.name, mode, fk, busy, sync, qo, ckpt)
		}
	}
	if n := db.Writer().Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool allows %d connections, want 1", n)
	}
}

func TestOpenCreatesTheDataDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "data", "auth.db")
	db, _ := openAt(t, path)
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func TestReopeningKeepsDataAndAppliesMigrationsOnlyOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	db, closeDB := openAt(t, path)
	u := testUser(1)
	if err := sqlstore.NewUserRepository(db).Create(t.Context(), u); err != nil {
		t.Fatalf("create: %v", err)
	}
	closeDB()

	files, err := fs.Glob(migrations.SQLite, "sqlite/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no embedded migrations (%v)", err)
	}
	for range 2 {
		db, closeDB = openAt(t, path)
		got, err := sqlstore.NewUserRepository(db).ByID(t.Context(), u.ID)
		if err != nil || got.Email != u.Email {
			t.Fatalf("user after reopen = %v, %v", got, err)
		}
		var applied int
		if err := db.Writer().GetContext(t.Context(), &applied, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`); err != nil {
			t.Fatalf("count migrations: %v", err)
		}
		if applied != len(files) {
			t.Errorf("%d migrations recorded, want %d (one per file)", applied, len(files))
		}
		closeDB()
	}
}

// TestConcurrentWritersNeverSeeSQLiteBusy runs 50 goroutines that write and read
// at once through two handles on the same file (as two processes would); with the
// single writer connection, IMMEDIATE transactions, WAL and the busy timeout every
// one of them must succeed.
func TestConcurrentWritersNeverSeeSQLiteBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	dbs := []*sqlstore.DB{}
	for range 2 {
		db, _ := openAt(t, path)
		dbs = append(dbs, db)
	}
	const n = 50
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		db := dbs[i%len(dbs)]
		users, sessions, outbox := sqlstore.NewUserRepository(db), sqlstore.NewSessionRepository(db), sqlstore.NewOutbox(db)
		wg.Go(func() {
			ctx := t.Context()
			u := testUser(i)
			if err := users.Create(ctx, u); err != nil {
				errs <- fmt.Errorf("create %d: %w", i, err)
				return
			}
			err := db.WithinTx(ctx, func(ctx context.Context) error {
				if err := users.Update(ctx, u.ID, func(u *domain.User) error { u.EmailVerified = true; return nil }); err != nil {
					return err
				}
				if _, err := users.ByID(ctx, u.ID); err != nil {
					return err
				}
				return outbox.Enqueue(ctx, domain.Message{ID: fmt.Sprint("m", i), To: u.Email, Subject: "hi", Text: "hi"}, t0)
			})
			if err != nil {
				errs <- fmt.Errorf("transaction %d: %w", i, err)
				return
			}
			if err := sessions.Create(ctx, testSession(i, u.ID), testRefresh("a", i)); err != nil {
				errs <- fmt.Errorf("create session %d: %w", i, err)
				return
			}
			if _, err := sessions.Rotate(ctx, []byte(fmt.Sprint("a", i)), testRefresh("b", i)); err != nil {
				errs <- fmt.Errorf("rotate %d: %w", i, err)
				return
			}
			if _, err := outbox.Claim(ctx, t0, time.Minute, 2); err != nil {
				errs <- fmt.Errorf("claim %d: %w", i, err)
				return
			}
			if _, err := sessions.ListLive(ctx, u.ID, t0); err != nil {
				errs <- fmt.Errorf("list %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var users int
	if err := dbs[0].Writer().GetContext(t.Context(), &users, `SELECT count(*) FROM users WHERE email_verified = 1`); err != nil {
		t.Fatal(err)
	}
	if users != n {
		t.Errorf("%d verified users, want %d", users, n)
	}
}

func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	t.Run("a closed database", func(t *testing.T) {
		db, closeDB := openAt(t, filepath.Join(t.TempDir(), "auth.db"))
		closeDB()
		users := sqlstore.NewUserRepository(db)
		for name, err := range map[string]error{
			"ping":   db.Ping(t.Context()),
			"create": users.Create(t.Context(), testUser(1)),
			"by id": func() error {
				_, err := users.ByID(t.Context(), "x")
				return err
			}(),
		} {
			if !errors.Is(err, domain.ErrUnavailable) {
				t.Errorf("%s on a closed database = %v, want ErrUnavailable", name, err)
			}
		}
	})
	t.Run("a cancelled request", func(t *testing.T) {
		db, _ := openAt(t, filepath.Join(t.TempDir(), "auth.db"))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := sqlstore.NewSessionRepository(db).ListLive(ctx, "u", t0)
		if !errors.Is(err, domain.ErrUnavailable) {
			t.Errorf("list on a cancelled context = %v, want ErrUnavailable", err)
		}
		err = db.WithinTx(ctx, func(context.Context) error { return nil })
		if !errors.Is(err, domain.ErrUnavailable) {
			t.Errorf("WithinTx on a cancelled context = %v, want ErrUnavailable", err)
		}
	})
	t.Run("a request whose deadline passes while it waits for the writer", func(t *testing.T) {
		db, _ := openAt(t, filepath.Join(t.TempDir(), "auth.db"))
		hold := make(chan struct{})
		held := make(chan struct{})
		done := make(chan error)
		go func() {
			done <- db.WithinTx(t.Context(), func(context.Context) error {
				close(held)
				<-hold
				return nil
			})
		}()
		<-held
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		err := sqlstore.NewUserRepository(db).Create(ctx, testUser(1))
		if !errors.Is(err, domain.ErrUnavailable) {
			t.Errorf("create while the writer is held = %v, want ErrUnavailable", err)
		}
		ran := false
		ctx2, cancel2 := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel2()
		err = db.WithinTx(ctx2, func(context.Context) error { ran = true; return nil })
		close(hold)
		if !errors.Is(err, domain.ErrUnavailable) || ran {
			t.Errorf("transaction while the writer is held = %v (ran: %v), want ErrUnavailable, not run", err, ran)
		}
		if err := <-done; err != nil {
			t.Errorf("holding transaction: %v", err)
		}
	})
}

func TestErrorsNameTheOperationNotTheSQL(t *testing.T) {
	db, _ := openAt(t, filepath.Join(t.TempDir(), "auth.db"))
	u := testUser(1)
	users := sqlstore.NewUserRepository(db)
	if err := users.Create(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	u2 := testUser(2)
	u2.ID = u.ID // primary key clash: a plain, untranslated error
	err := users.Create(t.Context(), u2)
	if err == nil || errors.Is(err, domain.ErrEmailTaken) {
		t.Fatalf("duplicate id = %v, want a plain error", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "sqlite: create user: ") || strings.Contains(msg, "INSERT") || strings.Contains(msg, "VALUES") {
		t.Errorf("error = %q", msg)
	}
}

func TestBuildDSNsMergesTheAdapterSettingsIntoTheOperatorsDSN(t *testing.T) {
	for _, tc := range []struct {
		name, in, path string
		has, hasNot    []string // _pragma values
		extra          map[string]string
	}{
		{name: "a file URI gets every default", in: "file:/data/auth.db", path: "/data/auth.db",
			has: []string{"busy_timeout(10000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(NORMAL)"}},
		{name: "a bare path becomes a file URI", in: "data/auth.db", path: "data/auth.db",
			has: []string{"journal_mode(WAL)"}},
		{name: "an operator's pragma wins over the default", in: "file:/d/a.db?_pragma=busy_timeout(5000)&cache=private",
			path: "/d/a.db", has: []string{"busy_timeout(5000)", "journal_mode(WAL)"}, hasNot: []string{"busy_timeout(10000)"},
			extra: map[string]string{"cache": "private"}},
		{name: "a driver shorthand counts as the operator's choice", in: "file:/d/a.db?_sync=FULL", path: "/d/a.db",
			hasNot: []string{"synchronous(NORMAL)"}, extra: map[string]string{"_sync": "FULL"}},
		{name: "a localhost URI names a local path", in: "file://localhost/var/lib/a%20b.db", path: "/var/lib/a b.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, r, path, err := buildDSNs(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if path != tc.path {
				t.Errorf("path = %q, want %q", path, tc.path)
			}
			for _, dsn := range []string{w, r} {
				if !strings.HasPrefix(dsn, "file:") {
					t.Errorf("dsn %q is not a file URI", dsn)
				}
			}
			wq, _ := url.ParseQuery(w[strings.IndexByte(w, '?')+1:])
			rq, _ := url.ParseQuery(r[strings.IndexByte(r, '?')+1:])
			if wq.Get("_txlock") != "immediate" {
				t.Errorf("writer _txlock = %q", wq.Get("_txlock"))
			}
			if !contains(rq["_pragma"], "query_only(1)") || contains(wq["_pragma"], "query_only(1)") {
				t.Errorf("query_only: writer %v reader %v", wq["_pragma"], rq["_pragma"])
			}
			for _, p := range tc.has {
				if !contains(wq["_pragma"], p) || !contains(rq["_pragma"], p) {
					t.Errorf("missing _pragma %s in %v", p, wq["_pragma"])
				}
			}
			for _, p := range tc.hasNot {
				if contains(wq["_pragma"], p) {
					t.Errorf("unexpected _pragma %s in %v", p, wq["_pragma"])
				}
			}
			for k, v := range tc.extra {
				if wq.Get(k) != v || rq.Get(k) != v {
					t.Errorf("%s = %q/%q, want %q", k, wq.Get(k), rq.Get(k), v)
				}
			}
		})
	}
	for _, bad := range []string{"", ":memory:", "file::memory:", "file:x.db?mode=memory", "file://db.example.com/x.db"} {
		if _, _, _, err := buildDSNs(bad); err == nil {
			t.Errorf("buildDSNs(%q) accepted it", bad)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
