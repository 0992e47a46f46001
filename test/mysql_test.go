package test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcmysql "github.com/testcontainers/testcontainers-go/modules/mysql"
	"github.com/testcontainers/testcontainers-go/wait"

	"authd/adapters/mysql"
	"authd/domain"
	"authd/test/contract"
)

const mysqlRootPassword = "authd-test"

// startMySQL starts a MySQL-compatible container (hostPort "" picks a free
// port) and returns it with a root DSN of its default database.
func startMySQL(t *testing.T, hostPort string) (testcontainers.Container, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := []testcontainers.ContainerCustomizer{
		tcmysql.WithUsername("root"), tcmysql.WithPassword(mysqlRootPassword), tcmysql.WithDatabase("authd"),
		testcontainers.WithWaitStrategyAndDeadline(2*time.Minute, wait.ForSQL("3306/tcp", "mysql", func(host string, port network.Port) string {
			return fmt.Sprintf("root:%s@tcp(%s:%s)/authd", mysqlRootPassword, host, port.Port())
		})),
	}
	if hostPort != "" {
		opts = append(opts, fixedPort("3306/tcp", hostPort))
	}
	c, err := tcmysql.Run(ctx, mysqlImage(), opts...)
	if err != nil {
		t.Fatalf("start mysql (%s): %v", mysqlImage(), err)
	}
	dsn, err := c.ConnectionString(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c, dsn
}

// sharedMySQLDSN is the root DSN of the package's MySQL server, started once.
func sharedMySQLDSN(t *testing.T) string {
	t.Helper()
	requireDocker(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.mysqlDSN == "" {
		c, dsn := startMySQL(t, "")
		shared.mysqlDSN = dsn
		shared.stop = append(shared.stop, func() { _ = testcontainers.TerminateContainer(c) })
	}
	return shared.mysqlDSN
}

// freshMySQLDSN creates an empty database on the shared server for one test.
func freshMySQLDSN(t *testing.T) string {
	t.Helper()
	root := sharedMySQLDSN(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	db, err := sql.Open("mysql", root)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	return strings.Replace(root, "/authd", "/"+name, 1)
}

func newMySQLStore(t *testing.T) contract.Store {
	t.Helper()
	db, cleanup, err := mysql.Open(t.Context(), mysql.Config{DSN: freshMySQLDSN(t), StartupTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	t.Cleanup(cleanup)
	return contract.Store{
		Tx:       db,
		Users:    mysql.NewUserRepository(db),
		Sessions: mysql.NewSessionRepository(db),
		Tokens:   mysql.NewOneTimeTokenRepository(db),
		Outbox:   mysql.NewOutbox(db),
		Attempts: mysql.NewAttemptLog(db),
	}
}

func TestMySQLUsers(t *testing.T)         { contract.Users(t, newMySQLStore) }
func TestMySQLSessions(t *testing.T)      { contract.Sessions(t, newMySQLStore) }
func TestMySQLOneTimeTokens(t *testing.T) { contract.OneTimeTokens(t, newMySQLStore) }
func TestMySQLOutbox(t *testing.T)        { contract.Outbox(t, newMySQLStore) }
func TestMySQLTransactor(t *testing.T)    { contract.Transactor(t, newMySQLStore) }
func TestMySQLTokenAttempts(t *testing.T) { contract.TokenAttempts(t, newMySQLStore) }
func TestMySQLAttemptLog(t *testing.T)    { contract.AttemptLog(t, newMySQLStore) }

func TestMySQLOpen(t *testing.T) {
	t.Run("gives up after the startup timeout, naming AUTH_DB_DSN and not the password", func(t *testing.T) {
		_, _, err := mysql.Open(t.Context(), mysql.Config{DSN: "authd:hunter2-secret@tcp(127.0.0.1:" + freePort(t) + ")/authd", StartupTimeout: time.Second})
		if err == nil || !strings.Contains(err.Error(), "AUTH_DB_DSN") || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("migrates idempotently on a second open", func(t *testing.T) {
		dsn := freshMySQLDSN(t)
		for range 2 {
			_, cleanup, err := mysql.Open(t.Context(), mysql.Config{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			cleanup()
		}
	})
	t.Run("a closed pool answers unavailable", func(t *testing.T) {
		db, cleanup, err := mysql.Open(t.Context(), mysql.Config{DSN: freshMySQLDSN(t)})
		if err != nil {
			t.Fatal(err)
		}
		cleanup()
		if _, err := mysql.NewUserRepository(db).ByEmail(t.Context(), domain.MustEmail("a@example.com")); !errorsIsUnavailable(err) {
			t.Fatalf("got %v", err)
		}
	})
}
