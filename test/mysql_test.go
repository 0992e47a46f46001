package test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"authd/adapters/mysql"
	"authd/domain"
	"authd/internal/testkit"
	"authd/migrations"
	"authd/test/contract"
)

// The MySQL store runs the same contract suites as the SQLite store, each test
// on its own database of one shared MySQL-compatible server, plus the tests of
// what only a server has: start-up waiting, migrations shared by instances,
// outages, lock conflicts.

// openMySQL opens the store on dsn and closes it when the test ends.
func openMySQL(t *testing.T, dsn string) *mysql.Store {
	t.Helper()
	return openMySQLWith(t, mysql.Config{DSN: dsn})
}

// openMySQLWith opens the store with cfg (waiting at most 10 s for the server).
func openMySQLWith(t *testing.T, cfg mysql.Config) *mysql.Store {
	t.Helper()
	cfg.StartupTimeout = 10 * time.Second
	db, cleanup, err := mysql.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	t.Cleanup(cleanup)
	return db
}

// mysqlStore is the contract's view of a store on db.
func mysqlStore(db *mysql.Store) contract.Store { return contractOf(db) }

// newMySQLStore opens the store on a fresh database of the shared server.
func newMySQLStore(t *testing.T) contract.Store {
	t.Helper()
	return mysqlStore(openMySQL(t, freshMySQLDSN(t)))
}

func TestMySQLUsers(t *testing.T)         { contract.Users(t, newMySQLStore) }
func TestMySQLSessions(t *testing.T)      { contract.Sessions(t, newMySQLStore) }
func TestMySQLOneTimeTokens(t *testing.T) { contract.OneTimeTokens(t, newMySQLStore) }
func TestMySQLOutbox(t *testing.T)        { contract.Outbox(t, newMySQLStore) }
func TestMySQLTransactor(t *testing.T)    { contract.Transactor(t, newMySQLStore) }
func TestMySQLTokenAttempts(t *testing.T) { contract.TokenAttempts(t, newMySQLStore) }
func TestMySQLAttemptLog(t *testing.T)    { contract.AttemptLog(t, newMySQLStore) }
func TestMySQLSchema(t *testing.T)        { contract.Schema(t, newMySQLStore) }
func TestMySQLAccounts(t *testing.T)      { contract.Accounts(t, newMySQLStore) }
func TestMySQLKeyRing(t *testing.T)       { contract.KeyRing(t, newMySQLStore) }

func TestMySQLOpen(t *testing.T) {
	const secret = "hunter2-secret"

	t.Run("gives up after the startup timeout, naming AUTH_DB_DSN and not the password", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		_, _, err := mysql.Open(ctx, mysql.Config{DSN: "authd:" + secret + "@tcp(127.0.0.1:" + testkit.FreePort(t) + ")/authd", StartupTimeout: time.Second})
		if err == nil || !strings.Contains(err.Error(), "AUTH_DB_DSN") || !strings.Contains(err.Error(), "unreachable after 1s") ||
			strings.Contains(err.Error(), secret) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("refuses a malformed DSN, naming AUTH_DB_DSN and not the password", func(t *testing.T) {
		for _, dsn := range []string{"", "authd:" + secret + "@tcp(127.0.0.1:3306", "authd:" + secret + "@tcp(127.0.0.1:3306)/", "authd:" + secret + "@tcp(db)/authd?timeout=" + secret} {
			_, _, err := mysql.Open(t.Context(), mysql.Config{DSN: dsn, StartupTimeout: time.Second})
			if err == nil || !strings.Contains(err.Error(), "AUTH_DB_DSN") || strings.Contains(err.Error(), secret) {
				t.Errorf("DSN %q: got %v", strings.ReplaceAll(dsn, secret, "…"), err)
			}
		}
	})

	t.Run("fails at once when the server refuses the login, without the password", func(t *testing.T) {
		cfg, err := gomysql.ParseDSN(freshMySQLDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Passwd = secret
		// A refusal must not be waited out: with a start-up timeout longer than the
		// context, waiting would end in "gave up waiting" instead.
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		_, _, err = mysql.Open(ctx, mysql.Config{DSN: cfg.FormatDSN(), StartupTimeout: time.Hour})
		if err == nil || !strings.Contains(err.Error(), "AUTH_DB_DSN") || !strings.Contains(err.Error(), "refused") ||
			strings.Contains(err.Error(), secret) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("applies the migrations once and finds nothing to do on a second open", func(t *testing.T) {
		dsn := freshMySQLDSN(t)
		for range 2 {
			_, cleanup, err := mysql.Open(t.Context(), mysql.Config{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			cleanup()
		}
		raw := rawMySQL(t, dsn)
		var applied int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
			t.Fatal(err)
		}
		var tables int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()
			AND table_name <> 'goose_db_version' AND engine = 'InnoDB' AND table_collation = 'utf8mb4_bin'`).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if want := migrationFiles(t, migrations.MySQL, "mysql"); applied != want || tables < 7 {
			t.Fatalf("%d migrations recorded, %d InnoDB utf8mb4_bin tables; want %d and every table", applied, tables, want)
		}
	})

	t.Run("instances that start together on an empty database migrate it once", func(t *testing.T) {
		dsn := freshMySQLDSN(t)
		errs := make([]error, 3)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				_, cleanup, err := mysql.Open(t.Context(), mysql.Config{DSN: dsn})
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
		var applied int
		if err := rawMySQL(t, dsn).QueryRow(`SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
			t.Fatal(err)
		}
		if want := migrationFiles(t, migrations.MySQL, "mysql"); applied != want {
			t.Fatalf("%d migrations recorded, want %d (one per file)", applied, want)
		}
	})

	t.Run("refuses a value too long for its column instead of cutting it short", func(t *testing.T) {
		st := newMySQLStore(t)
		u := &domain.User{ID: "00000000-0000-4000-8000-000000000001", Email: domain.MustEmail("long@example.com"),
			PasswordHash: "h", Role: domain.Role(strings.Repeat("r", 65)), CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.Users.Create(t.Context(), u); err == nil || errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("a 65-character role was accepted or misclassified: %v", err)
		}
	})
}

func TestMySQLUnavailable(t *testing.T) {
	t.Run("a server that goes away is ErrUnavailable, without the DSN, and the store recovers when it is back", func(t *testing.T) {
		cfg, err := gomysql.ParseDSN(freshMySQLDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		proxy := startTCPProxy(t, "127.0.0.1:0", cfg.Addr)
		server := cfg.Addr
		cfg.Addr = proxy.addr
		db := openMySQL(t, cfg.FormatDSN())
		st := mysqlStore(db)
		u := &domain.User{ID: "00000000-0000-4000-8000-000000000002", Email: domain.MustEmail("jane@example.com"),
			PasswordHash: "h", Role: "customer", CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.Users.Create(t.Context(), u); err != nil {
			t.Fatal(err)
		}

		proxy.stop()
		ctx := t.Context()
		for name, err := range map[string]error{
			"ping":  db.Ping(ctx),
			"read":  func() error { _, err := st.Users.ByEmail(ctx, u.Email); return err }(),
			"write": st.Attempts.Record(ctx, "k", time.Now()),
			"tx": st.Tx.WithinTx(ctx, func(ctx context.Context) error {
				return st.Users.Update(ctx, u.ID, func(*domain.User) error { return nil })
			}),
			"consume": func() error {
				_, err := st.Tokens.Consume(ctx, domain.PurposeResetLink, []byte("h"), time.Now())
				return err
			}(),
		} {
			if !errors.Is(err, domain.ErrUnavailable) {
				t.Errorf("%s: got %v, want ErrUnavailable", name, err)
			}
			if err != nil && (strings.Contains(err.Error(), mysqlRootPassword) || strings.Contains(err.Error(), cfg.DBName)) {
				t.Errorf("%s: the error shows the DSN: %v", name, err)
			}
		}

		proxy = startTCPProxy(t, proxy.addr, server)
		if _, err := st.Users.ByEmail(ctx, u.Email); err != nil {
			t.Fatalf("after the server came back: %v", err)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("ping after the server came back: %v", err)
		}
	})

	t.Run("a request whose deadline passes while it waits for a lock is ErrUnavailable", func(t *testing.T) {
		st := newMySQLStore(t)
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
		db, cleanup, err := mysql.Open(t.Context(), mysql.Config{DSN: freshMySQLDSN(t)})
		if err != nil {
			t.Fatal(err)
		}
		cleanup()
		if _, err := db.Users.ByEmail(t.Context(), domain.MustEmail("a@example.com")); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestMySQLDeadlockRetry(t *testing.T) {
	t.Run("a transaction that loses a deadlock runs again and both commit", func(t *testing.T) {
		st := newMySQLStore(t)
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
	})
}

// rawMySQL opens a plain connection pool on dsn, for looking behind the store.
func rawMySQL(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// tcpProxy forwards a loopback address to a server; stopping it closes the
// listener and every connection, which to a client is a server that went away.
// While stallNext is set it holds (never forwards) the next request, and
// while stallAll is set every request, as a server or network that stalled.
type tcpProxy struct {
	addr                string
	stallNext, stallAll atomic.Bool
	l                   net.Listener
	mu                  sync.Mutex
	conns               []net.Conn
	wg                  sync.WaitGroup
}

// startTCPProxy listens on addr ("127.0.0.1:0" for any port) and forwards to target.
func startTCPProxy(t *testing.T, addr, target string) *tcpProxy {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{addr: l.Addr().String(), l: l}
	p.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			p.wg.Go(func() { p.forward(s, c); _ = s.Close() })
			p.wg.Go(func() { _, _ = io.Copy(c, s); _ = c.Close() })
		}
	})
	t.Cleanup(p.stop)
	return p
}

// forward copies a client's requests to the server, holding the ones a stall
// catches until the client gives up on its connection.
func (p *tcpProxy) forward(server, client net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		n, err := client.Read(buf)
		if err != nil {
			return
		}
		if p.stallAll.Load() || p.stallNext.CompareAndSwap(true, false) {
			_, _ = io.Copy(io.Discard, client)
			return
		}
		if _, err := server.Write(buf[:n]); err != nil {
			return
		}
	}
}

// stop closes the listener and every forwarded connection, and waits for the
// forwarding to end.
func (p *tcpProxy) stop() {
	_ = p.l.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}
