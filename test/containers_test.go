package test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcmysql "github.com/testcontainers/testcontainers-go/modules/mysql"
	"github.com/testcontainers/testcontainers-go/wait"

	"authd/domain"
)

// Container helpers: real MySQL-compatible and memcached servers for the
// adapters' contract suites and the end-to-end tests. Without a Docker engine
// the tests that need them skip loudly, unless AUTH_REQUIRE_CONTAINERS=1 (CI),
// where they fail.

func mysqlImage() string     { return envOr("AUTH_TEST_MYSQL_IMAGE", "mysql:8.4") }
func memcachedImage() string { return envOr("AUTH_TEST_MEMCACHED_IMAGE", "memcached:1.6") }

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

var dockerCheck = sync.OnceValue(func() error {
	defer func() { _ = recover() }() // testcontainers panics on some broken setups
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer p.Close()
	return p.Health(ctx)
})

// requireDocker skips the test (loudly) when no Docker engine answers, or fails it
// when AUTH_REQUIRE_CONTAINERS=1.
func requireDocker(t *testing.T) {
	t.Helper()
	err := dockerCheck()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("no Docker engine (%v): the container tests cannot run; scripts/test-infra.sh sets one up", err)
	if os.Getenv("AUTH_REQUIRE_CONTAINERS") == "1" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED LOUDLY: " + msg)
}

// shared holds the containers started once for the whole package.
var shared struct {
	mu        sync.Mutex
	memcached string
	mysqlDSN  string
	stop      []func()
}

// sharedMemcached returns host:port of the package's memcached server.
func sharedMemcached(t *testing.T) string {
	t.Helper()
	requireDocker(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.memcached == "" {
		c, addr := startMemcached(t, "")
		shared.memcached = addr
		shared.stop = append(shared.stop, func() { _ = testcontainers.TerminateContainer(c) })
	}
	return shared.memcached
}

// startMemcached starts a memcached container; hostPort "" picks a free port,
// else the container binds that host port (so a restart keeps the address).
func startMemcached(t *testing.T, hostPort string) (testcontainers.Container, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts("11211/tcp"),
		testcontainers.WithWaitStrategyAndDeadline(time.Minute, wait.ForListeningPort("11211/tcp")),
	}
	if hostPort != "" {
		opts = append(opts, fixedPort("11211/tcp", hostPort))
	}
	c, err := testcontainers.Run(ctx, memcachedImage(), opts...)
	if err != nil {
		t.Fatalf("start memcached (%s): %v", memcachedImage(), err)
	}
	addr, err := c.PortEndpoint(ctx, "11211/tcp", "")
	if err != nil {
		t.Fatal(err)
	}
	return c, addr
}

// mysqlRootPassword is the root password of every MySQL test container.
const mysqlRootPassword = "authd-test"

// sharedMySQL returns a root DSN (database "authd") of the package's
// MySQL-compatible server, started once; tests make their own databases on it
// with freshMySQLDSN.
func sharedMySQL(t *testing.T) string {
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

// startMySQL starts a MySQL-compatible container (AUTH_TEST_MYSQL_IMAGE) with
// root's password set and a database "authd", and returns it with a root DSN of
// that database; hostPort "" picks a free port, else the container binds that
// host port (so a restart keeps the address). The server runs without
// durability (no flush per commit): these databases are thrown away.
func startMySQL(t *testing.T, hostPort string) (testcontainers.Container, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := []testcontainers.ContainerCustomizer{
		tcmysql.WithUsername("root"), tcmysql.WithPassword(mysqlRootPassword), tcmysql.WithDatabase("authd"),
		testcontainers.WithCmdArgs("--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0"),
		// MariaDB never prints the log line the module waits for: wait until it answers SQL.
		testcontainers.WithWaitStrategyAndDeadline(2*time.Minute, wait.ForSQL("3306/tcp", "mysql", func(host string, port network.Port) string {
			return fmt.Sprintf("root:%s@tcp(%s:%s)/authd", mysqlRootPassword, host, port.Port())
		})),
	}
	if hostPort != "" {
		opts = append(opts, fixedPort("3306/tcp", hostPort))
	}
	c, err := tcmysql.Run(ctx, mysqlImage(), opts...)
	if err != nil {
		if c != nil {
			_ = testcontainers.TerminateContainer(c)
		}
		t.Fatalf("start mysql (%s): %v", mysqlImage(), err)
	}
	dsn, err := c.ConnectionString(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c, dsn
}

// freshMySQLDSN creates an empty database t_<random> on the shared server for
// one test and returns root's DSN of it.
func freshMySQLDSN(t *testing.T) string {
	t.Helper()
	cfg, err := gomysql.ParseDSN(sharedMySQL(t))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg.DBName = "t_" + rand.Text()[:16]
	if _, err := db.ExecContext(t.Context(), "CREATE DATABASE "+cfg.DBName); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return cfg.FormatDSN()
}

// fixedPort binds the container port to a chosen loopback port, so the address
// survives a stop and start (fault tests must keep the dependency's address).
func fixedPort(containerPort, hostPort string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
		hc.PortBindings = network.PortMap{
			network.MustParsePort(containerPort): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: hostPort}},
		}
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	shared.mu.Lock()
	for _, stop := range shared.stop {
		stop()
	}
	shared.mu.Unlock()
	os.Exit(code)
}

func errorsIsUnavailable(err error) bool { return errors.Is(err, domain.ErrUnavailable) }
