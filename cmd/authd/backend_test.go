package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcmysql "github.com/testcontainers/testcontainers-go/modules/mysql"
	"github.com/testcontainers/testcontainers-go/wait"

	"authd/adapters/password"
)

// The HTTP tests of this package run on the embedded default, and again on
// MySQL + memcached in containers when AUTH_TEST_BACKEND=mysql, and on
// PostgreSQL + memcached when AUTH_TEST_BACKEND=postgres (make test runs all
// three): the same tests, green on every set of adapters.

// backend holds the production dependencies of a mysql run.
var backend struct {
	mysqlRoot string // root DSN of the server's default database
	memcached string
}

func TestMain(m *testing.M) {
	password.RunWorkerIfRequested() // the app's password worker is this test binary
	start := startBackend
	switch os.Getenv("AUTH_TEST_BACKEND") {
	case "mysql":
	case "postgres":
		start = startPostgresBackend
	default:
		os.Exit(m.Run())
	}
	stop, err := start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "AUTH_TEST_BACKEND="+os.Getenv("AUTH_TEST_BACKEND")+": "+err.Error())
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func startBackend() (func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const pw = "authd-test"
	db, err := tcmysql.Run(ctx, envOr("AUTH_TEST_MYSQL_IMAGE", "mysql:8.4"),
		tcmysql.WithUsername("root"), tcmysql.WithPassword(pw), tcmysql.WithDatabase("authd"),
		testcontainers.WithWaitStrategyAndDeadline(2*time.Minute, wait.ForSQL("3306/tcp", "mysql", func(host string, port network.Port) string {
			return fmt.Sprintf("root:%s@tcp(%s:%s)/authd", pw, host, port.Port())
		})))
	if err != nil {
		return nil, fmt.Errorf("start mysql: %w", err)
	}
	mc, err := testcontainers.Run(ctx, envOr("AUTH_TEST_MEMCACHED_IMAGE", "memcached:1.6"),
		testcontainers.WithExposedPorts("11211/tcp"),
		testcontainers.WithWaitStrategyAndDeadline(time.Minute, wait.ForListeningPort("11211/tcp")))
	stop := func() {
		_ = testcontainers.TerminateContainer(db)
		if mc != nil {
			_ = testcontainers.TerminateContainer(mc)
		}
	}
	if err != nil {
		stop()
		return nil, fmt.Errorf("start memcached: %w", err)
	}
	if backend.mysqlRoot, err = db.ConnectionString(ctx); err == nil {
		backend.memcached, err = mc.PortEndpoint(ctx, "11211/tcp", "")
	}
	if err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// backendEnv adds the production adapters to a test instance's environment
// when this run uses them: a fresh database per instance, the shared memcached.
func backendEnv(t testing.TB, env map[string]string) {
	if postgresRoot != "" {
		postgresBackendEnv(t, env)
		return
	}
	if backend.mysqlRoot == "" {
		return
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "h_" + hex.EncodeToString(b)
	db, err := sql.Open("mysql", backend.mysqlRoot)
	if err == nil {
		_, err = db.Exec("CREATE DATABASE " + name)
		db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	env["AUTH_DB_DRIVER"] = "mysql"
	env["AUTH_DB_DSN"] = strings.Replace(backend.mysqlRoot, "/authd", "/"+name, 1)
	env["AUTH_DENYLIST"] = "memcached"
	env["AUTH_MEMCACHED_SERVERS"] = backend.memcached
}
