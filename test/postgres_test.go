package test

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"authd/adapters/postgres"
	"authd/domain"
	"authd/internal/testkit"
	"authd/migrations"
	"authd/test/contract"
)

// The PostgreSQL store runs the same contract suites as the SQLite and MySQL
// stores, each test on its own database of one shared server, plus the tests
// of what only a server has: start-up waiting, migrations shared by instances,
// outages, lock conflicts.

// openPostgres opens the store on dsn and closes it when the test ends.
func openPostgres(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	db, cleanup, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn, StartupTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(cleanup)
	return db
}

// newPostgresStore opens the store on a fresh database of the shared server.
func newPostgresStore(t *testing.T) contract.Store {
	t.Helper()
	return contractOf(openPostgres(t, freshPostgresDSN(t)))
}

func TestPostgresUsers(t *testing.T)         { contract.Users(t, newPostgresStore) }
func TestPostgresSessions(t *testing.T)      { contract.Sessions(t, newPostgresStore) }
func TestPostgresOneTimeTokens(t *testing.T) { contract.OneTimeTokens(t, newPostgresStore) }
func TestPostgresOutbox(t *testing.T)        { contract.Outbox(t, newPostgresStore) }
func TestPostgresTransactor(t *testing.T)    { contract.Transactor(t, newPostgresStore) }
func TestPostgresTokenAttempts(t *testing.T) { contract.TokenAttempts(t, newPostgresStore) }
func TestPostgresAttemptLog(t *testing.T)    { contract.AttemptLog(t, newPostgresStore) }
func TestPostgresSchema(t *testing.T)        { contract.Schema(t, newPostgresStore) }
func TestPostgresAccounts(t *testing.T)      { contract.Accounts(t, newPostgresStore) }
func TestPostgresKeyRing(t *testing.T)       { contract.KeyRing(t, newPostgresStore) }

// withPassword returns dsn with its password replaced.
func withPassword(t *testing.T, dsn, password string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

// appliedMigrations counts the migrations goose recorded in the database of dsn.
func appliedMigrations(t *testing.T, dsn string) int {
	t.Helper()
	var applied int
	if err := rawPostgres(t, dsn).QueryRow(`SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	return applied
}

func TestPostgresOpen(t *testing.T) {
	const secret = "hunter2-secret"

	t.Run("gives up after the startup timeout, naming AUTH_DB_DSN and not the password", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		for _, dsn := range []string{
			"postgres://authd:" + secret + "@127.0.0.1:" + testkit.FreePort(t) + "/authd?sslmode=disable",
			"host=127.0.0.1 port=" + testkit.FreePort(t) + " user=authd password=" + secret + " dbname=authd sslmode=disable",
		} {
			_, _, err := postgres.Open(ctx, postgres.Config{DSN: dsn, StartupTimeout: time.Second})
			if err == nil || !strings.Contains(err.Error(), "AUTH_DB_DSN (authd@127.0.0.1:") || !strings.Contains(err.Error(), "unreachable after 1s") ||
				strings.Contains(err.Error(), secret) {
				t.Fatalf("got %v", err)
			}
		}
	})

	t.Run("refuses a malformed DSN, naming AUTH_DB_DSN and not the password", func(t *testing.T) {
		for _, dsn := range []string{
			"", "postgres://authd:" + secret + "@127.0.0.1:99999/authd", "postgres://authd:" + secret + "@[::1/authd",
			"host=db user=authd password=" + secret + " dbname=authd connect_timeout=x",
			"postgres://authd:" + secret + "@db:5432/authd?connect_timeout=" + secret,
		} {
			_, _, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn, StartupTimeout: time.Second})
			if err == nil || !strings.Contains(err.Error(), "AUTH_DB_DSN") || strings.Contains(err.Error(), secret) {
				t.Errorf("DSN %q: got %v", strings.ReplaceAll(dsn, secret, "…"), err)
			}
		}
	})

	t.Run("fails at once when the server refuses the login or knows no such database, without the password", func(t *testing.T) {
		good := freshPostgresDSN(t)
		unknown, err := url.Parse(good)
		if err != nil {
			t.Fatal(err)
		}
		unknown.Path = "/no_such_database"
		for _, dsn := range []string{withPassword(t, good, secret), unknown.String()} {
			// A refusal must not be waited out: with a start-up timeout longer than
			// the context, waiting would end in "gave up waiting" instead.
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			_, _, err := postgres.Open(ctx, postgres.Config{DSN: dsn, StartupTimeout: time.Hour})
			cancel()
			if err == nil || !strings.Contains(err.Error(), "AUTH_DB_DSN") || !strings.Contains(err.Error(), "refused") ||
				strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), postgresPassword) {
				t.Fatalf("got %v", err)
			}
		}
	})

	t.Run("applies the migrations once and finds nothing to do on a second open", func(t *testing.T) {
		dsn := freshPostgresDSN(t)
		for range 2 {
			_, cleanup, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			cleanup()
		}
		var tables int
		if err := rawPostgres(t, dsn).QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()
			AND table_name IN ('users', 'sessions', 'refresh_tokens', 'one_time_tokens', 'outbox', 'attempts')`).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if applied, want := appliedMigrations(t, dsn), postgresMigrationFiles(t); applied != want || tables != 6 {
			t.Fatalf("%d migrations recorded, %d of the 6 first tables; want %d and 6", applied, tables, want)
		}
	})

	t.Run("instances that start together on an empty database migrate it once", func(t *testing.T) {
		dsn := freshPostgresDSN(t)
		errs := make([]error, 3)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				_, cleanup, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn})
				if err == nil {
					cleanup()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("open: %v", err)
			}
		}
		if applied, want := appliedMigrations(t, dsn), postgresMigrationFiles(t); applied != want {
			t.Fatalf("%d migrations recorded, want %d (one per file)", applied, want)
		}
	})

	t.Run("refuses a value too long for its column instead of cutting it short", func(t *testing.T) {
		st := newPostgresStore(t)
		u := &domain.User{ID: "00000000-0000-4000-8000-000000000001", Email: domain.MustEmail("long@example.com"),
			PasswordHash: "h", Role: domain.Role(strings.Repeat("r", 65)), CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.Users.Create(t.Context(), u); err == nil || errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("a 65-character role was accepted or misclassified: %v", err)
		}
	})

	t.Run("stores text from outside with NUL bytes and invalid UTF-8", func(t *testing.T) {
		st := newPostgresStore(t)
		u := &domain.User{ID: "00000000-0000-4000-8000-000000000004", Email: domain.MustEmail("nul@example.com"),
			PasswordHash: "h", Role: "customer", CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.Users.Create(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		s := &domain.Session{ID: "00000000-0000-4000-8000-000000000005", UserID: u.ID, CreatedAt: time.Now(), LastUsedAt: time.Now(),
			ExpiresAt: time.Now().Add(time.Hour), RefreshExpiresAt: time.Now().Add(time.Hour), UserAgent: "curl\x00/8\xff", IP: "127.0.0.1"}
		if err := st.Sessions.Create(t.Context(), s, domain.RefreshToken{Hash: []byte("h1"), SessionID: s.ID,
			CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		got, err := st.Sessions.ByID(t.Context(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.UserAgent != "curl\uFFFD/8\uFFFD" {
			t.Fatalf("stored user agent %q", got.UserAgent)
		}
		m := enqueueOne(t, st)
		if err := st.Outbox.MarkDead(t.Context(), m, time.Now(), "550 no\x00such\xffuser"); err != nil {
			t.Fatalf("an error text with a NUL byte could not be recorded: %v", err)
		}
	})
}

// enqueueOne puts one message in st's outbox and returns its id.
func enqueueOne(t *testing.T, st contract.Store) string {
	t.Helper()
	m := domain.Message{ID: "m-" + strings.ToLower(time.Now().Format("150405.000000")), To: domain.MustEmail("to@example.com"), Subject: "s", Text: "t"}
	if err := st.Outbox.Enqueue(t.Context(), m, time.Now()); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func TestPostgresUnavailable(t *testing.T) {
	t.Run("a server that goes away is ErrUnavailable, without the DSN, and the store recovers when it is back", func(t *testing.T) {
		dsn := freshPostgresDSN(t)
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		server := u.Host
		proxy := startTCPProxy(t, "127.0.0.1:0", server)
		u.Host = proxy.addr
		db := openPostgres(t, u.String())
		st := contractOf(db)
		user := &domain.User{ID: "00000000-0000-4000-8000-000000000002", Email: domain.MustEmail("jane@example.com"),
			PasswordHash: "h", Role: "customer", CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.Users.Create(t.Context(), user); err != nil {
			t.Fatal(err)
		}

		proxy.stop()
		ctx := t.Context()
		for name, err := range map[string]error{
			"ping":  db.Ping(ctx),
			"read":  func() error { _, err := st.Users.ByEmail(ctx, user.Email); return err }(),
			"write": st.Attempts.Record(ctx, "k", time.Now()),
			"tx": st.Tx.WithinTx(ctx, func(ctx context.Context) error {
				return st.Users.Update(ctx, user.ID, func(*domain.User) error { return nil })
			}),
			"consume": func() error {
				_, err := st.Tokens.Consume(ctx, domain.PurposeResetLink, []byte("h"), time.Now())
				return err
			}(),
		} {
			if !errors.Is(err, domain.ErrUnavailable) {
				t.Errorf("%s: got %v, want ErrUnavailable", name, err)
			}
			if err != nil && (strings.Contains(err.Error(), postgresPassword) || strings.Contains(err.Error(), postgresDatabase(t, dsn))) {
				t.Errorf("%s: the error shows the DSN: %v", name, err)
			}
		}

		proxy = startTCPProxy(t, proxy.addr, server)
		if _, err := st.Users.ByEmail(ctx, user.Email); err != nil {
			t.Fatalf("after the server came back: %v", err)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("ping after the server came back: %v", err)
		}
	})

	t.Run("a request whose deadline passes while it waits for a lock is ErrUnavailable", func(t *testing.T) {
		st := newPostgresStore(t)
		u := &domain.User{ID: "00000000-0000-4000-8000-000000000003", Email: domain.MustEmail("joe@example.com"),
			PasswordHash: "h", Role: "customer", CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.Users.Create(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		locked, release := make(chan struct{}), make(chan struct{})
		done := make(chan error)
		go func() {
			done <- st.Users.Update(t.Context(), u.ID, func(*domain.User) error {
				close(locked)
				<-release
				return nil
			})
		}()
		<-locked
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		err := st.Users.Update(ctx, u.ID, func(*domain.User) error { return nil })
		close(release)
		if !errors.Is(err, domain.ErrUnavailable) {
			t.Errorf("got %v, want ErrUnavailable", err)
		}
		if err := <-done; err != nil {
			t.Fatalf("the update holding the lock failed: %v", err)
		}
	})

	t.Run("a closed store is ErrUnavailable", func(t *testing.T) {
		db, cleanup, err := postgres.Open(t.Context(), postgres.Config{DSN: freshPostgresDSN(t)})
		if err != nil {
			t.Fatal(err)
		}
		cleanup()
		if _, err := db.Users.ByEmail(t.Context(), domain.MustEmail("a@example.com")); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestPostgresDeadlockRetry(t *testing.T) {
	t.Run("a transaction that loses a deadlock runs again and both commit", func(t *testing.T) {
		deadlockRetry(t, newPostgresStore(t))
	})
}

// deadlockRetry makes two transactions lock two users in opposite orders, so
// that the server aborts one of them, and checks that the store ran the loser
// again and both changes landed once. It needs a store with row locks.
func deadlockRetry(t *testing.T, st contract.Store) {
	t.Helper()
	a := &domain.User{ID: "00000000-0000-4000-8000-00000000000a", Email: domain.MustEmail("a@example.com"), PasswordHash: "h", Role: "customer"}
	b := &domain.User{ID: "00000000-0000-4000-8000-00000000000b", Email: domain.MustEmail("b@example.com"), PasswordHash: "h", Role: "customer"}
	for _, u := range []*domain.User{a, b} {
		if err := st.Users.Create(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
	var runs atomic.Int32
	ready := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	var once [2]sync.Once
	// Transaction i locks its first user, waits until the other has locked
	// its own (first run only), then wants the other's: a deadlock.
	lockBoth := func(i int, first, second *domain.User) func(context.Context) error {
		return func(ctx context.Context) error {
			runs.Add(1)
			set := func(u *domain.User) error { u.Profile.LastName += string(rune('1' + i)); return nil }
			if err := st.Users.Update(ctx, first.ID, set); err != nil {
				return err
			}
			once[i].Do(func() {
				close(ready[i])
				<-ready[1-i]
			})
			return st.Users.Update(ctx, second.ID, set)
		}
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = st.Tx.WithinTx(t.Context(), lockBoth(0, a, b)) })
	wg.Go(func() { errs[1] = st.Tx.WithinTx(t.Context(), lockBoth(1, b, a)) })
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
	}
	if runs.Load() < 3 {
		t.Fatalf("%d runs: no transaction was retried, so there was no deadlock to test", runs.Load())
	}
	for _, u := range []*domain.User{a, b} {
		got, err := st.Users.ByID(t.Context(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(got.Profile.LastName); n != 2 {
			t.Errorf("user %s was updated %d times, want once by each transaction: %q", u.Email, n, got.Profile.LastName)
		}
	}
}

func TestPostgresSerializationRetry(t *testing.T) {
	t.Run("a transaction that fails to serialize runs again and both changes land", func(t *testing.T) {
		// At SERIALIZABLE (an operator's default_transaction_isolation), a row
		// locked and changed by a transaction that commits while another waits
		// for it makes the waiter fail with a serialization failure (40001).
		dsn := freshPostgresDSN(t)
		raw := rawPostgres(t, dsn)
		if _, err := raw.Exec(`ALTER DATABASE ` + postgresDatabase(t, dsn) + ` SET default_transaction_isolation TO 'serializable'`); err != nil {
			t.Fatal(err)
		}
		st := contractOf(openPostgres(t, dsn))
		u := &domain.User{ID: "00000000-0000-4000-8000-00000000000c", Email: domain.MustEmail("c@example.com"), PasswordHash: "h", Role: "customer"}
		if err := st.Users.Create(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		appendTo := func(s string) func(*domain.User) error {
			return func(u *domain.User) error { u.Profile.LastName += s; return nil }
		}
		locked, release := make(chan struct{}), make(chan struct{})
		var runsB atomic.Int32
		errs := make([]error, 2)
		var wg sync.WaitGroup
		wg.Go(func() {
			errs[0] = st.Tx.WithinTx(t.Context(), func(ctx context.Context) error {
				if err := st.Users.Update(ctx, u.ID, appendTo("A")); err != nil {
					return err
				}
				close(locked)
				<-release
				return nil
			})
		})
		<-locked
		wg.Go(func() {
			errs[1] = st.Tx.WithinTx(t.Context(), func(ctx context.Context) error {
				runsB.Add(1)
				return st.Users.Update(ctx, u.ID, appendTo("B"))
			})
		})
		// Release A only once B waits for the row lock, so that B must fail to serialize.
		waited := testkit.Poll(30*time.Second, func() bool {
			var waiting int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			return waiting > 0
		})
		if !waited {
			close(release)
			wg.Wait()
			t.Fatal("the second transaction never waited for the row lock")
		}
		close(release)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("transaction %d: %v", i, err)
			}
		}
		if runsB.Load() < 2 {
			t.Fatalf("the waiting transaction ran %d times: no serialization failure to test", runsB.Load())
		}
		got, err := st.Users.ByID(t.Context(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Profile.LastName != "AB" {
			t.Fatalf("last name %q, want AB (each change once, in order)", got.Profile.LastName)
		}
	})
}

// postgresMigrationFiles counts the PostgreSQL migration files the binary embeds.
func postgresMigrationFiles(t *testing.T) int {
	return migrationFiles(t, migrations.Postgres, "postgres")
}

// migrationFiles counts the migration files of one dialect the binary embeds.
func migrationFiles(t *testing.T, fsys fs.FS, dialect string) int {
	t.Helper()
	files, err := fs.Glob(fsys, dialect+"/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v", err)
	}
	return len(files)
}
