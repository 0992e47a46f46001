// Command authd is the authentication and user-account service. It reads its
// configuration from AUTH_* environment variables and serves the REST API until
// SIGINT or SIGTERM, then finishes in-flight requests and stops cleanly.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"authd/adapters/password"
)

func main() {
	password.RunWorkerIfRequested() // the password worker is this binary too
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(cli(ctx, os.Args[1:], processEnv, os.Stdin, os.Stdout, os.Stderr))
}

// setEmpty is what processEnv answers for a variable that is set to nothing, so
// that the few variables where empty means "off" (AUTH_METRICS_ADDR) can tell
// it from unset; for every other variable it reads as unset.
const setEmpty = "\x00"

// processEnv reads the process environment for LoadConfig.
func processEnv(name string) string {
	v, ok := os.LookupEnv(name)
	if ok && strings.TrimSpace(v) == "" {
		return setEmpty
	}
	return v
}

// usage is the command line's help.
const usage = `authd is an authentication and user-account service.

Usage:
  authd [serve]                                   serve the API (the default)
  authd migrate up|status                         apply or list the schema migrations, then exit
  authd version                                   print the version, commit and Go version
  authd config check                              validate the environment and print the effective
                                                  configuration, secrets [redacted] (exit 0 or 2)
  authd healthcheck                               GET /healthz of AUTH_HTTP_ADDR (exit 0 or 1)
  authd users create --email E --role R [--send-reset]
                                                  create an active account with a verified email; the
                                                  password is read from standard input, or with
                                                  --send-reset a password reset link is printed
  authd users set-role --email E --role R         give an account a role (its sessions end)
  authd keys list                                 print the key ring: kid, state (next, signing,
                                                  retiring, retired) and dates of every signing key
  authd keys rotate                               add a signing key: published now, signing after
                                                  AUTH_JWKS_MAX_AGE; the old one retires after its tokens

Every command takes -h/--help. Configuration comes from the AUTH_* environment
variables, the same for every command (docs/configuration.md lists them).
Exit codes: 0 done, 1 failed, 2 bad usage or configuration.
`

// cli dispatches the subcommands; run serves.
func cli(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return run(ctx, getenv, stderr)
	}
	switch args[0] {
	case "serve":
		return serveCommand(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrateCommand(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		return versionCommand(args[1:], stdout, stderr)
	case "config":
		return configCommand(args[1:], getenv, stdout, stderr)
	case "healthcheck":
		return healthcheckCommand(ctx, args[1:], getenv, stdout, stderr)
	case "users":
		return usersCommand(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "keys":
		return keysCommand(ctx, args[1:], getenv, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	return badUsage(stderr, "unknown command "+strconv.Quote(args[0]))
}

func badUsage(stderr io.Writer, msg string) int {
	fmt.Fprintln(stderr, "authd: "+msg)
	fmt.Fprint(stderr, usage)
	return 2
}

// run is main without the process globals, so tests can start and stop it.
func run(ctx context.Context, getenv func(string) string, stderr io.Writer) int {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "authd: "+err.Error())
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	if err := beforeStart(cfg, getenv, log); err != nil {
		fmt.Fprintln(stderr, "authd: "+err.Error())
		return 2
	}
	app, cleanup, err := buildApp(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "authd: start: "+err.Error())
		return 1
	}
	defer cleanup()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		fmt.Fprintln(stderr, "authd: AUTH_HTTP_ADDR: "+err.Error())
		return 1
	}
	ver, rev, gover := buildInfo()
	log.Info("authd started", "version", ver, "commit", rev, "go", gover, "addr", ln.Addr().String(), "db", cfg.DBDriver, "denylist", cfg.Denylist, "mailer", cfg.Mailer, "public_url", cfg.PublicURL)
	if err := app.Run(ctx, ln, log); err != nil {
		log.Error("authd stopped with an error", "error", err)
		return 1
	}
	log.Info("authd stopped")
	return 0
}

// shutdownGrace bounds how long in-flight requests may take after a signal.
const shutdownGrace = 20 * time.Second

// Run serves on ln and dispatches mail until ctx ends, then stops accepting,
// lets in-flight requests and the current mail attempt finish, and returns.
func (a *App) Run(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	// Revocations recorded before this start must be refused before the first request is served.
	if err := a.Revocations.Seed(ctx); err != nil {
		log.Warn("denylist not seeded at start; protected routes answer 503 until it can be", "error", err)
	}
	dctx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if a.Metrics != nil && a.Metrics.Enabled() {
		mln, err := a.Metrics.Listen()
		if err != nil {
			stopDispatch()
			return fmt.Errorf("AUTH_METRICS_ADDR: %w", err)
		}
		log.Info("metrics listening", "addr", mln.Addr().String())
		wg.Go(func() {
			if err := a.Metrics.Serve(dctx, mln); err != nil && !errors.Is(err, net.ErrClosed) {
				log.Warn("metrics listener stopped", "error", err)
			}
		})
	}
	wg.Go(func() { a.Dispatcher.Run(dctx) })
	wg.Go(func() { a.Janitor.Run(dctx) })
	wg.Go(func() { a.Keys.Run(dctx) })

	served := make(chan error, 1)
	go func() { served <- a.Server.Listen(ln) }()

	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
		log.Info("shutting down", "grace", shutdownGrace.String())
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		err = a.Server.Shutdown(sctx)
		cancel()
		if serveErr := <-served; err == nil && serveErr != nil && !errors.Is(serveErr, net.ErrClosed) {
			err = serveErr
		}
	}
	stopDispatch()
	wg.Wait()
	return err
}
