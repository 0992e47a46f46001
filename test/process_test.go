package test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"authd/internal/testkit"
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

// instance is one running authd process.
type instance struct {
	t      *testing.T
	base   string
	out    *testkit.Buffer
	cmd    *exec.Cmd
	client *testkit.Client
}

// startInstance runs the binary with env (plus a fresh port and cheap-hash-free
// defaults) and waits until /healthz answers.
func startInstance(t *testing.T, env map[string]string) *instance {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	port := testkit.FreePort(t)
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
	base := "http://127.0.0.1:" + port
	inst := &instance{t: t, base: base, out: &testkit.Buffer{}, cmd: cmd, client: &testkit.Client{Base: base, HTTP: testkit.NoRedirects(30 * time.Second)}}
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
	testkit.Eventually(t, 60*time.Second, func() bool {
		select {
		case <-exited:
			t.Fatalf("authd exited at start:\n%s", inst.out.String())
		default:
		}
		res, err := http.Get(inst.base + "/healthz")
		if err == nil {
			res.Body.Close()
		}
		return err == nil
	}, "authd did not answer within a minute:\n%s", inst.out)
	return inst
}

// call sends a request (a JSON body unless nil) with a bearer token unless it is "".
func (in *instance) call(method, path string, body any, token string) *testkit.Reply {
	in.t.Helper()
	return in.client.Do(in.t, method, path, body, testkit.BearerIf(token))
}

var verifyLinkRe = regexp.MustCompile(`/api/v1/auth/email/verify/([A-Za-z0-9_-]+)`)

// mailFor waits for the newest mail to `to` matching re in the outputs of the
// instances and returns re's first group.
func mailFor(t *testing.T, to string, re *regexp.Regexp, from ...*instance) string {
	t.Helper()
	outs := make([]fmt.Stringer, len(from))
	for i, in := range from {
		outs[i] = in.out
	}
	return testkit.WaitForMail(t, 30*time.Second, to, re, outs...)
}
