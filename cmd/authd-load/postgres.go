package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

const postgresPassword = "authd-load"

// measurePostgres measures authd on PostgreSQL + memcached in containers.
func measurePostgres(ctx context.Context, opt options, rep *report, ceiling ceilingFunc, logDir string) error {
	pgImage := pickImage(ctx, os.Getenv("AUTH_TEST_POSTGRES_IMAGE"), "authd-test/postgres:15", "postgres:16")
	memcachedImage := pickImage(ctx, opt.memcachedImage, "authd-test/memcached:1.6", "memcached:1.6")
	ct := &containers{}
	defer ct.stop()
	label := fmt.Sprintf("%s=%d", containerLabel, os.Getpid())
	pgAddr, err := freeAddr()
	if err != nil {
		return err
	}
	memcachedAddr, err := freeAddr()
	if err != nil {
		return err
	}
	_, pgPort, _ := net.SplitHostPort(pgAddr)
	_, memcachedPort, _ := net.SplitHostPort(memcachedAddr)
	// On the host's network, bound to loopback, as the MySQL run.
	id, err := docker(ctx, "run", "-d", "--rm", "--label", label, "--network", "host",
		"-e", "POSTGRES_USER=authd", "-e", "POSTGRES_PASSWORD="+postgresPassword, "-e", "POSTGRES_DB=authd", pgImage,
		"-c", "listen_addresses=127.0.0.1", "-c", "port="+pgPort)
	if err != nil {
		return err
	}
	ct.ids = append(ct.ids, id)
	if id, err = docker(ctx, "run", "-d", "--rm", "--label", label, "--network", "host", memcachedImage,
		"-l", "127.0.0.1", "-p", memcachedPort, "-U", "0", "-M"); err != nil {
		return err
	}
	ct.ids = append(ct.ids, id)
	dsn := func(db string) string {
		return fmt.Sprintf("postgres://authd:%s@%s/%s?sslmode=disable", postgresPassword, pgAddr, db)
	}
	admin, err := sql.Open("pgx", dsn("authd"))
	if err != nil {
		return err
	}
	defer admin.Close()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = admin.PingContext(pctx)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("PostgreSQL did not answer within two minutes: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	env := func(i int) ([]string, error) {
		name := fmt.Sprintf("load_%d", i)
		if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
			return nil, err
		}
		return []string{"AUTH_DB_DRIVER=postgres", "AUTH_DB_DSN=" + dsn(name), "AUTH_DENYLIST=memcached",
			"AUTH_MEMCACHED_SERVERS=" + memcachedAddr}, nil
	}
	rep.notes = append(rep.notes, fmt.Sprintf("PostgreSQL + memcached: %s and %s in containers, server defaults", pgImage, memcachedImage))
	return measureBackend(ctx, opt, rep, ceiling, logDir, "PostgreSQL+memcached", env, ct.parties(ctx, "postgres", "memcached"))
}
