package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// End-to-end helpers: authd as a real process (the binary the README builds),
// driven over HTTP, its output captured.

var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "authd-e2e-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "authd")
	cmd := exec.Command("go", "build", "-race", "-o", path, "./cmd/authd")
	cmd.Dir = filepath.Dir(mustWd())
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return path, nil
})

func mustWd() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return wd
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// instance is one running authd process.
type instance struct {
	t    *testing.T
	base string
	out  *lockedBuffer
	cmd  *exec.Cmd
}

// startInstance runs the binary with env (plus a fresh port and cheap-hash-free
// defaults) and waits until /healthz answers.
func startInstance(t *testing.T, env map[string]string) *instance {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "AUTH_HTTP_ADDR=127.0.0.1:"+port, "AUTH_PUBLIC_URL=http://127.0.0.1:"+port,
		"AUTH_COOKIE_SECURE=false", "AUTH_DATA_DIR="+t.TempDir(),
		// The instances of this package share one memcached and all call from
		// 127.0.0.1, so the per-IP limits would add up across tests; the tests of
		// those limits switch them on with client IPs of their own.
		"AUTH_IP_MAIL_RATE=0", "AUTH_IP_MAX_FAILURES=0",
		// Several instances run at once: none takes the fixed metrics port.
		"AUTH_METRICS_ADDR=off")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	inst := &instance{t: t, base: "http://127.0.0.1:" + port, out: &lockedBuffer{}, cmd: cmd}
	cmd.Stdout, cmd.Stderr = inst.out, inst.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", inst.base, inst.out.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if res, err := http.Get(inst.base + "/healthz"); err == nil {
			res.Body.Close()
			return inst
		}
		select {
		case <-exited:
			t.Fatalf("authd exited at start:\n%s", inst.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("authd did not answer within a minute:\n%s", inst.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reply is a decoded HTTP response.
type reply struct {
	status int
	raw    string
	body   map[string]any
	header http.Header
}

func (r reply) str(k string) string { s, _ := r.body[k].(string); return s }

var noRedirects = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// call sends a JSON request with an optional bearer token.
func (in *instance) call(method, path string, body any, token string) reply {
	in.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, in.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		in.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, raw: string(raw), header: res.Header}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// expect fails unless r has the status and (optionally) the error code.
func (r reply) expect(t *testing.T, status int, code ...string) reply {
	t.Helper()
	if r.status != status || len(code) > 0 && r.str("code") != code[0] {
		t.Fatalf("got %d %s, want %d %v", r.status, r.raw, status, code)
	}
	return r
}

var verifyLinkRe = regexp.MustCompile(`/api/v1/auth/email/verify/([A-Za-z0-9_-]+)`)

// mailFor polls the outputs of all instances for the newest mail to `to`
// matching re, and returns re's first group.
func mailFor(t *testing.T, to string, re *regexp.Regexp, from ...*instance) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, in := range from {
			for _, block := range strings.Split(in.out.String(), "----- end of mail -----") {
				if strings.Contains(block, "To: "+to+"\n") {
					if m := re.FindAllStringSubmatch(block, -1); m != nil {
						return m[len(m)-1][1]
					}
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s", to)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventually polls check until it returns "" or the deadline passes.
func eventually(t *testing.T, within time.Duration, check func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
