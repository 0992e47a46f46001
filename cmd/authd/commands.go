package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/pressly/goose/v3"

	"authd/adapters/mysql"
	"authd/adapters/postgres"
	"authd/adapters/sqlite"
	"authd/application"
)

// Help of each subcommand, printed by -h/--help (stdout, exit 0) and after a
// usage error (stderr, exit 2).
const (
	serveUsage = `Usage: authd [serve]

Serves the API on AUTH_HTTP_ADDR until SIGINT or SIGTERM. With AUTH_MIGRATE=false
it applies no migration and refuses to start while any is pending.
`
	migrateUsage = `Usage: authd migrate up|status

  up      apply every pending schema migration, then exit
  status  list each migration as applied (with its time) or pending; exit 0
`
	versionUsage = `Usage: authd version

Prints the version, the commit and the Go version of this binary.
`
	configUsage = `Usage: authd config check

Validates the AUTH_* environment and prints the effective configuration, every
secret shown as [redacted]. Exit 0 when valid, 2 when not (the reason on stderr).
`
	healthcheckUsage = `Usage: authd healthcheck

GETs /healthz of the server on AUTH_HTTP_ADDR (for container health checks).
Exit 0 when it answers 200, 1 otherwise.
`
)

// parseFlags parses a subcommand that takes no flags: ok false means the
// caller returns code (0 after help, 2 after a usage error).
func parseFlags(name, help string, args []string, stdout, stderr io.Writer) (rest []string, code int, ok bool) {
	fs := flag.NewFlagSet("authd "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, help)
			return nil, 0, false
		}
		fmt.Fprintln(stderr, "authd "+name+": "+err.Error())
		fmt.Fprint(stderr, help)
		return nil, 2, false
	}
	return fs.Args(), 0, true
}

// subUsage reports a wrong argument to a subcommand: its help on stderr, exit 2.
func subUsage(stderr io.Writer, help, msg string) int {
	fmt.Fprintln(stderr, "authd: "+msg)
	fmt.Fprint(stderr, help)
	return 2
}

// serveCommand is `authd serve`.
func serveCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	rest, code, ok := parseFlags("serve", serveUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return subUsage(stderr, serveUsage, "serve takes no arguments")
	}
	return run(ctx, getenv, stderr)
}

// versionCommand is `authd version`.
func versionCommand(args []string, stdout, stderr io.Writer) int {
	rest, code, ok := parseFlags("version", versionUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return subUsage(stderr, versionUsage, "version takes no arguments")
	}
	v, c, g := buildInfo()
	fmt.Fprintf(stdout, "authd %s\ncommit %s\n%s\n", v, c, g)
	return 0
}

// configCommand is `authd config check`.
func configCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	rest, code, ok := parseFlags("config", configUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) == 0 || rest[0] != "check" {
		return subUsage(stderr, configUsage, "config needs the subcommand check")
	}
	if _, code, ok := parseFlags("config check", configUsage, rest[1:], stdout, stderr); !ok {
		return code
	} else if len(rest) > 1 {
		return subUsage(stderr, configUsage, "config check takes no arguments")
	}
	cfg, err := LoadConfig(getenv)
	if err == nil && cfg.MailTemplatesDir != "" {
		_, err = application.LoadMailTemplates(cfg.MailTemplatesDir)
	}
	if err != nil {
		fmt.Fprintln(stderr, "authd: "+err.Error())
		return 2
	}
	for _, w := range unknownVariables(environ(getenv)) {
		fmt.Fprintln(stderr, "authd: warning: "+w)
	}
	for _, v := range cfg.vars {
		fmt.Fprintf(stdout, "%s=%s\n", v.name, v.value)
	}
	return 0
}

// environ lists the process's variables that getenv sees (tests pass their
// own getenv, so only what it answers counts).
func environ(getenv func(string) string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if v := getenv(name); v != "" {
			out = append(out, name+"="+v)
		}
	}
	return out
}

// healthcheckTimeout bounds the health check, well under a container
// engine's usual interval.
const healthcheckTimeout = 3 * time.Second

// healthcheckCommand is `authd healthcheck`.
func healthcheckCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	rest, code, ok := parseFlags("healthcheck", healthcheckUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return subUsage(stderr, healthcheckUsage, "healthcheck takes no arguments")
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "authd: "+err.Error())
		return 1
	}
	url := "http://" + loopbackAddr(cfg.HTTPAddr) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintln(stderr, "authd: healthcheck: "+err.Error())
		return 1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "authd: healthcheck: "+err.Error())
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "authd: healthcheck: %s answered %d\n", url, resp.StatusCode)
		return 1
	}
	fmt.Fprintln(stdout, "ok")
	return 0
}

// loopbackAddr turns a listen address into one to dial: an empty or wildcard
// host becomes the loopback address.
func loopbackAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// migrateCommand is `authd migrate up|status`.
func migrateCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	rest, code, ok := parseFlags("migrate", migrateUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) == 0 || (rest[0] != "up" && rest[0] != "status") {
		return subUsage(stderr, migrateUsage, "migrate needs the subcommand up or status")
	}
	if _, code, ok := parseFlags("migrate "+rest[0], migrateUsage, rest[1:], stdout, stderr); !ok {
		return code
	} else if len(rest) > 1 {
		return subUsage(stderr, migrateUsage, "migrate "+rest[0]+" takes no arguments")
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "authd: "+err.Error())
		return 2
	}
	if rest[0] == "up" {
		cfg.Migrate = true
		if err := openStore(ctx, cfg, newLogger(stderr, cfg.LogLevel, cfg.LogFormat)); err != nil {
			fmt.Fprintln(stderr, "authd: migrate up: "+err.Error())
			return 1
		}
	}
	st, err := migrationStatus(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "authd: migrate "+rest[0]+": "+err.Error())
		return 1
	}
	pending := 0
	for _, s := range st {
		state := "applied " + s.AppliedAt.UTC().Format(time.RFC3339)
		if s.State == goose.StatePending {
			state = "pending"
			pending++
		}
		fmt.Fprintf(stdout, "%-8d %-40s %s\n", s.Source.Version, baseName(s.Source.Path), state)
	}
	fmt.Fprintf(stdout, "%d migrations, %d pending (%s)\n", len(st), pending, cfg.DBDriver)
	return 0
}

func baseName(p string) string { return p[strings.LastIndexAny(p, `/\`)+1:] }

// openStore opens (and so, with cfg.Migrate, migrates) the configured store,
// then closes it.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) error {
	var cleanup func()
	var err error
	switch cfg.DBDriver {
	case "mysql":
		_, cleanup, err = mysql.Open(ctx, mysqlConfig(cfg))
	case "postgres":
		_, cleanup, err = postgres.Open(ctx, postgresConfig(cfg))
	default:
		_, cleanup, err = sqlite.Open(ctx, sqliteConfig(cfg), log)
	}
	if err != nil {
		return err
	}
	cleanup()
	return nil
}

// migrationStatus asks the configured store for the state of each migration.
func migrationStatus(ctx context.Context, cfg Config) ([]*goose.MigrationStatus, error) {
	switch cfg.DBDriver {
	case "mysql":
		return mysql.MigrationStatus(ctx, mysqlConfig(cfg))
	case "postgres":
		return postgres.MigrationStatus(ctx, postgresConfig(cfg))
	}
	return sqlite.MigrationStatus(ctx, sqliteConfig(cfg))
}
