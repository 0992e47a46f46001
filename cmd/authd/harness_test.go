package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"authd/application/fakes"
	"authd/ports"
)

// testApp is a real authd process in miniature: the wired app on a real
// listener, with its log and its console mail captured.
type testApp struct {
	t      testing.TB
	getenv func(string) string // the environment it was started with
	cfg    Config
	base   string
	logs   *syncBuffer
	mail   *syncBuffer
	stop   func()
	app    *App // the assembled app (its key ring, for tests that sign tokens themselves)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a server.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

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
	a := &testApp{t: t, logs: &syncBuffer{}, mail: &syncBuffer{}}
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

// resp is a decoded response.
type resp struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
	cookie map[string]*http.Cookie
}

func (r *resp) str(key string) string { s, _ := r.body[key].(string); return s }

// code is the contract error code of an error response.
func (r *resp) code() string { return r.str("code") }

// opt changes a request before it is sent.
type opt func(*http.Request)

func bearer(tok string) opt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}
func header(k, v string) opt { return func(r *http.Request) { r.Header.Set(k, v) } }
func withCookie(name, value string) opt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: name, Value: value}) }
}

// do sends a request; body is JSON-encoded unless it is a string (sent as is).
func (a *testApp) do(method, path string, body any, opts ...opt) *resp {
	a.t.Helper()
	var rd io.Reader
	var sent []byte
	switch b := body.(type) {
	case nil:
	case string:
		sent = []byte(b)
		rd = strings.NewReader(b)
	default:
		sent, _ = json.Marshal(b)
		rd = bytes.NewReader(sent)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	res, err := plainClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if err := checkExchange(req, sent, res.StatusCode, res.Header, raw); err != nil {
		a.t.Errorf("api/openapi.yaml: %v", err) // contract_test.go
	}
	r := &resp{status: res.StatusCode, header: res.Header, raw: string(raw), cookie: map[string]*http.Cookie{}}
	_ = json.Unmarshal(raw, &r.body)
	for _, c := range res.Cookies() {
		r.cookie[c.Name] = c
	}
	return r
}

// want fails the test unless r has the status (and, for errors, the code).
func (r *resp) want(t testing.TB, status int, code ...string) *resp {
	t.Helper()
	if r.status != status || (len(code) > 0 && r.code() != code[0]) {
		t.Fatalf("got %d %s, want %d %v", r.status, r.raw, status, code)
	}
	return r
}

// plainClient never follows redirects, so tests see them.
var plainClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// jar returns a client with a cookie jar, as a browser would have.
func jar() *http.Client {
	j, _ := cookiejar.New(nil)
	return &http.Client{Jar: j, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var linkRe = regexp.MustCompile(`/api/v1/auth/email/verify/([A-Za-z0-9_-]+)`)

// waitForMail polls the console mail until a message to `to` containing re
// arrives and returns re's first group; it fails after a deadline.
func (a *testApp) waitForMail(to string, re *regexp.Regexp) string {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		blocks := strings.Split(a.mail.String(), "----- end of mail -----")
		for i := len(blocks) - 1; i >= 0; i-- { // newest first
			block := blocks[i]
			if strings.Contains(block, "To: "+to+"\n") {
				if m := re.FindAllStringSubmatch(block, -1); m != nil {
					last := m[len(m)-1]
					if len(last) > 1 {
						return last[1]
					}
					return last[0]
				}
			}
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("no mail to %s matching %s; mail so far:\n%s", to, re, a.mail.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// verifyLink returns the token of the newest verification mail to `to`.
func (a *testApp) verifyLink(to string) string { return a.waitForMail(to, linkRe) }

const pw = "correct horse battery"

// registerVerified signs up email, verifies it and logs in; it returns the login response.
func (a *testApp) registerVerified(email string) *resp {
	a.t.Helper()
	a.do("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": pw}).want(a.t, 201)
	a.do("GET", "/api/v1/auth/email/verify/"+a.verifyLink(email), nil).want(a.t, 200)
	return a.login(email, pw).want(a.t, 200)
}

func (a *testApp) login(email, password string) *resp {
	return a.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password})
}

// counterPrefix is a fresh namespace for one test's abuse counters.
func counterPrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "t" + hex.EncodeToString(b) + ":"
}
