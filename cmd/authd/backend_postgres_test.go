package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// The PostgreSQL + memcached run of the HTTP tests (AUTH_TEST_BACKEND=postgres).

// postgresRoot is the superuser DSN of the PostgreSQL server's database
// "authd" in a postgres run; empty otherwise.
var postgresRoot string

// postgresBackendDSN is the superuser DSN of database db on host:port.
func postgresBackendDSN(host, port, db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword("authd", "authd-test"), Host: host + ":" + port,
		Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

func startPostgresBackend() (func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db, err := testcontainers.Run(ctx, envOr("AUTH_TEST_POSTGRES_IMAGE", "postgres:16"),
		testcontainers.WithEnv(map[string]string{"POSTGRES_USER": "authd", "POSTGRES_PASSWORD": "authd-test", "POSTGRES_DB": "authd"}),
		testcontainers.WithExposedPorts("5432/tcp"),
		testcontainers.WithCmdArgs("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "max_connections=300"),
		testcontainers.WithWaitStrategyAndDeadline(2*time.Minute, wait.ForSQL("5432/tcp", "pgx", func(host string, port network.Port) string {
			return postgresBackendDSN(host, port.Port(), "authd")
		})))
	if err != nil {
		if db != nil {
			_ = testcontainers.TerminateContainer(db)
		}
		return nil, fmt.Errorf("start postgres: %w", err)
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
	endpoint, err := db.PortEndpoint(ctx, "5432/tcp", "")
	if err == nil {
		host, port, _ := strings.Cut(endpoint, ":")
		postgresRoot = postgresBackendDSN(host, port, "authd")
		backend.memcached, err = mc.PortEndpoint(ctx, "11211/tcp", "")
	}
	if err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// postgresBackendEnv points a test instance at a fresh database of the
// PostgreSQL server and at the shared memcached.
func postgresBackendEnv(t testing.TB, env map[string]string) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "h_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", postgresRoot)
	if err == nil {
		_, err = db.Exec("CREATE DATABASE " + name)
		db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(postgresRoot)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	env["AUTH_DB_DRIVER"] = "postgres"
	env["AUTH_DB_DSN"] = u.String()
	env["AUTH_DENYLIST"] = "memcached"
	env["AUTH_MEMCACHED_SERVERS"] = backend.memcached
}
