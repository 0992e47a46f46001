package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"authd/application/fakes"
	"authd/internal/testkit"
	"authd/ports"
)

// testApp is a real authd process in miniature: the wired app on a real
// listener, with its log and its console mail captured.
type testApp struct {
	t      testing.TB
	getenv func(string) string // the environment it was started with
	cfg    Config
	base   string
	logs   *testkit.Buffer
	mail   *testkit.Buffer
	stop   func()
	app    *App            // the assembled app (its key ring, for tests that sign tokens themselves)
	client *testkit.Client // to base, every exchange checked against api/openapi.yaml
}

// testEnv is the environment of a test instance: its own data dir, loopback
// only, cookies over plain http.
func testEnv(dataDir string, extra map[string]string) func(string) string {
	env := map[string]string{
		"AUTH_DATA_DIR":      dataDir,
		"AUTH_HTTP_ADDR":     "127.0.0.1:0",
		"AUTH_COOKIE_SECURE": "false",
		// Many instances run at once: none takes the fixed metrics port unless a test asks.
		"AUTH_METRICS_ADDR": "off",
		"AUTH_LOG_LEVEL":    "debug",
	}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// startApp starts authd on dataDir ("" for a fresh temp dir) with extra
// environment variables, and stops it when the test ends.
func startApp(t testing.TB, dataDir string, extra map[string]string) *testApp {
	t.Helper()
	return startAppAt(t, dataDir, nil, extra)
}

// startAppOnClock starts an instance whose time is clock's, so a test lets
// lifetimes and windows pass by moving the clock instead of waiting.
func startAppOnClock(t testing.TB, extra map[string]string) (*testApp, *fakes.Clock) {
	t.Helper()
	clock := fakes.NewClock(time.Now().UTC().Truncate(time.Millisecond))
	return startAppAt(t, "", clock, extra), clock
}

func startAppAt(t testing.TB, dataDir string, clock ports.Clock, extra map[string]string) *testApp {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	env := map[string]string{}
	backendEnv(t, env)
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := LoadConfig(testEnv(dataDir, env))
	if err != nil {
		t.Fatal(err)
	}
	cfg.PasswordHash = PasswordHashConfig{MemoryKiB: 64, Iterations: 1} // cheap on a 2-core machine; production params are tested apart
	cfg.CounterPrefix = counterPrefix()                                 // the abuse counters of one test never meet another's in a shared memcached
	cfg.Clock = clock
	a := startWithConfig(t, cfg)
	a.getenv = testEnv(dataDir, env)
	return a
}

// command runs an authd subcommand with the instance's own configuration, as
// an operator would next to it, and returns its exit code and output.
func (a *testApp) command(stdin string, args ...string) (int, string, string) {
	a.t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli(context.Background(), args, a.getenv, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func startWithConfig(t testing.TB, cfg Config) *testApp {
	t.Helper()
	a := &testApp{t: t, logs: &testkit.Buffer{}, mail: &testkit.Buffer{}}
	cfg.MailPollEvery = 10 * time.Millisecond
	cfg.ConsoleMailOutput = a.mail
	a.cfg = cfg
	log := newLogger(a.logs, cfg.LogLevel, cfg.LogFormat)
	ctx, cancel := context.WithCancel(context.Background())
	app, cleanup, err := buildApp(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.base = "http://" + ln.Addr().String()
	a.client = &testkit.Client{Base: a.base, Check: checkOpenAPI}
	a.app = app
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, ln, log) }()
	var once sync.Once
	a.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("app stopped with %v", err)
			}
			cleanup()
		})
	}
	t.Cleanup(a.stop)
	return a
}

// restart stops a and starts a new instance on the same data dir and config.
func (a *testApp) restart() *testApp {
	a.stop()
	return startWithConfig(a.t, a.cfg)
}

// do sends a request; body is JSON-encoded unless it is a string (sent as is).
func (a *testApp) do(method, path string, body any, opts ...testkit.Opt) *testkit.Reply {
	a.t.Helper()
	return a.client.Do(a.t, method, path, body, opts...)
}

// checkOpenAPI is the client's check of every exchange (contract_test.go).
func checkOpenAPI(req *http.Request, sent []byte, r *testkit.Reply) error {
	if err := checkExchange(req, sent, r.Status, r.Header, r.Bytes()); err != nil {
		return fmt.Errorf("api/openapi.yaml: %v", err)
	}
	return nil
}

var linkRe = regexp.MustCompile(`/api/v1/auth/email/verify/([A-Za-z0-9_-]+)`)

// waitForMail waits for the newest console mail to `to` matching re and
// returns re's first group.
func (a *testApp) waitForMail(to string, re *regexp.Regexp) string {
	a.t.Helper()
	return testkit.WaitForMail(a.t, 10*time.Second, to, re, a.mail)
}

// verifyLink returns the token of the newest verification mail to `to`.
func (a *testApp) verifyLink(to string) string { return a.waitForMail(to, linkRe) }

const pw = "correct horse battery"

// registerVerified signs up email, verifies it and logs in; it returns the login response.
func (a *testApp) registerVerified(email string) *testkit.Reply {
	a.t.Helper()
	a.do("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": pw}).Want(a.t, 201)
	a.do("GET", "/api/v1/auth/email/verify/"+a.verifyLink(email), nil).Want(a.t, 200)
	return a.login(email, pw).Want(a.t, 200)
}

func (a *testApp) login(email, password string) *testkit.Reply {
	return a.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password})
}

// counterPrefix is a fresh namespace for one test's abuse counters.
func counterPrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "t" + hex.EncodeToString(b) + ":"
}
