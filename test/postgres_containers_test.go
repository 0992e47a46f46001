package test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for waits and raw looks
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// PostgreSQL container helpers, shaped like the MySQL ones: one server per
// package (sharedPostgres), a fresh database per test (freshPostgresDSN), and a
// server of a test's own on a chosen port for fault tests (startPostgres).

func postgresImage() string { return envOr("AUTH_TEST_POSTGRES_IMAGE", "postgres:16") }

// postgresPassword is the superuser password of every PostgreSQL test container.
const postgresPassword = "authd-test"

// sharedPG holds the package's PostgreSQL server, started on first use.
var sharedPG struct {
	mu  sync.Mutex
	dsn string
}

// sharedPostgres returns the superuser DSN (database "authd") of the package's
// PostgreSQL server, started once; tests make their own databases on it with
// freshPostgresDSN.
func sharedPostgres(t *testing.T) string {
	t.Helper()
	requireDocker(t)
	sharedPG.mu.Lock()
	defer sharedPG.mu.Unlock()
	if sharedPG.dsn == "" {
		c, dsn := startPostgres(t, "")
		sharedPG.dsn = dsn
		shared.mu.Lock()
		shared.stop = append(shared.stop, func() { _ = testcontainers.TerminateContainer(c) })
		shared.mu.Unlock()
	}
	return sharedPG.dsn
}

// postgresDSN is the superuser DSN of database db at host:port.
func postgresDSN(host, port, db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword("authd", postgresPassword), Host: host + ":" + port,
		Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// startPostgres starts a PostgreSQL container (AUTH_TEST_POSTGRES_IMAGE) with
// superuser authd and a database "authd", and returns it with a DSN of that
// database; hostPort "" picks a free port, else the container binds that host
// port (so a restart keeps the address). The server runs without durability
// (no fsync): these databases are thrown away.
func startPostgres(t *testing.T, hostPort string) (testcontainers.Container, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithEnv(map[string]string{"POSTGRES_USER": "authd", "POSTGRES_PASSWORD": postgresPassword, "POSTGRES_DB": "authd"}),
		testcontainers.WithExposedPorts("5432/tcp"),
		testcontainers.WithCmdArgs("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "max_connections=300"),
		// Both images log "ready" once for their initialisation server too: wait until it answers SQL.
		testcontainers.WithWaitStrategyAndDeadline(2*time.Minute, wait.ForSQL("5432/tcp", "pgx", func(host string, port network.Port) string {
			return postgresDSN(host, port.Port(), "authd")
		})),
	}
	if hostPort != "" {
		opts = append(opts, fixedPort("5432/tcp", hostPort))
	}
	c, err := testcontainers.Run(ctx, postgresImage(), opts...)
	if err != nil {
		if c != nil {
			_ = testcontainers.TerminateContainer(c)
		}
		t.Fatalf("start postgres (%s): %v", postgresImage(), err)
	}
	endpoint, err := c.PortEndpoint(ctx, "5432/tcp", "")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(endpoint, ":")
	return c, postgresDSN(host, port, "authd")
}

// freshPostgresDSN creates an empty database t_<random> on the shared server
// for one test and returns the superuser's DSN of it.
func freshPostgresDSN(t *testing.T) string {
	t.Helper()
	return newPostgresDatabase(t, sharedPostgres(t))
}

// newPostgresDatabase creates an empty database t_<random> on the server of
// dsn and returns dsn pointed at it.
func newPostgresDatabase(t *testing.T, dsn string) string {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := "t_" + strings.ToLower(rand.Text()[:16])
	if _, err := db.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// rawPostgres opens a plain connection pool on dsn, for looking behind the store.
func rawPostgres(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// postgresDatabase is the database name of a DSN made by these helpers.
func postgresDatabase(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}
