package password

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"authd/domain"
	"authd/internal/testkit"
)

// The worker tests start this test binary as the child, as the server starts
// its own binary.
func TestMain(m *testing.M) {
	RunWorkerIfRequested()
	os.Exit(m.Run())
}

func testWorker(t *testing.T) *Worker {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	w := NewWorker(exe, nil)
	t.Cleanup(w.Close)
	return w
}

// running is the current child, nil before the first hash.
func (w *Worker) running() *child {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.child
}

// TestServeWorker drives the child's side over pipes: keys equal argon2id's
// own, many requests at once are answered each to its id, parameters beyond
// the limits are refused without ending the stream, and a broken frame ends
// it.
func TestServeWorker(t *testing.T) {
	t.Parallel()
	reqR, reqW := io.Pipe()
	resR, resW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- ServeWorker(reqR, resW); resW.Close() }()
	c := &child{stdin: reqW, pending: map[uint64]chan result{}, cmd: nil}
	go c.route(resR)

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			salt := bytes.Repeat([]byte{byte(i)}, 16)
			pw := []byte("password " + strconv.Itoa(i))
			key, err := c.do(context.Background(), uint64(i+1), pw, salt, cheap)
			want := argon2.IDKey(pw, salt, cheap.Iterations, cheap.Memory, cheap.Parallelism, cheap.KeyLen)
			if err != nil || !bytes.Equal(key, want) {
				t.Errorf("request %d: %x, %v; want %x", i, key, err, want)
			}
		})
	}
	wg.Wait()

	for _, p := range []Params{
		{Memory: maxMemory + 1, Iterations: 1, Parallelism: 1, KeyLen: 32},
		{Memory: 64, Iterations: 0, Parallelism: 1, KeyLen: 32},
		{Memory: 64, Iterations: 1, Parallelism: 0, KeyLen: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, KeyLen: 8},
	} {
		if _, err := c.do(context.Background(), 99, []byte("x"), make([]byte, 16), p); err == nil || errors.Is(err, errChildGone) {
			t.Errorf("%+v: %v, want a refusal", p, err)
		}
	}
	if key, err := c.do(context.Background(), 100, []byte("x"), make([]byte, 16), cheap); err != nil || len(key) != 32 {
		t.Fatalf("after refusals: %x, %v", key, err)
	}

	// A password longer than any frame allows: the stream is broken, the
	// worker stops reading.
	if _, err := reqW.Write(append(make([]byte, 25), 0xff, 0xff, 0xff, 0xff)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("broken frame: %v", err)
	}
}

// TestWorkerProcess runs the real child: hashes made through it verify in the
// process and the other way round, its every thread runs at the lowest
// priority, its pipes are non-blocking, it has no environment of the server's, a child killed with hashes
// in flight is replaced and the hashes answered, and a request whose context
// ends is unavailable.
func TestWorkerProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the priority and /proc checks are Linux's")
	}
	t.Setenv("AUTH_JWT_SECRET", "must-not-reach-the-child")
	w := testWorker(t)
	viaWorker := NewHasher(Config{Params: cheap, Worker: w})
	inProcess := NewHasher(Config{Params: cheap})
	ctx := context.Background()

	hash, err := viaWorker.Hash(ctx, domain.Secret("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := inProcess.Verify(ctx, hash, domain.Secret("correct horse")); !ok || err != nil {
		t.Fatalf("worker's hash in the process: %v %v", ok, err)
	}
	hash2, _ := inProcess.Hash(ctx, domain.Secret("battery staple"))
	if ok, _, err := viaWorker.Verify(ctx, hash2, domain.Secret("battery staple")); !ok || err != nil {
		t.Fatalf("process's hash in the worker: %v %v", ok, err)
	}
	if ok, _, err := viaWorker.Verify(ctx, hash2, domain.Secret("battery stapler")); ok || err != nil {
		t.Fatalf("wrong password in the worker: %v %v", ok, err)
	}

	first := w.running()
	if first == nil {
		t.Fatal("no child started")
	}
	pid := first.cmd.Process.Pid
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		if n := niceOf(t, "/proc/"+strconv.Itoa(pid)+"/task/"+task.Name()+"/stat"); n != lowestPriority {
			t.Errorf("child thread %s runs at nice %d, want %d", task.Name(), n, lowestPriority)
		}
	}
	if n := niceOf(t, "/proc/self/stat"); n == lowestPriority {
		t.Errorf("the server itself was reniced")
	}
	// Its pipes are on the runtime's poller (non-blocking): a blocking read
	// would hold a core's scheduler slot while it waits.
	for _, fd := range []string{"0", "1"} {
		info, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/fdinfo/" + fd)
		if err != nil {
			t.Fatal(err)
		}
		var flags int64
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, _ = strconv.ParseInt(strings.TrimSpace(v), 8, 64)
			}
		}
		if flags&0o4000 == 0 { // O_NONBLOCK
			t.Errorf("child fd %s is blocking (flags %o)", fd, flags)
		}
	}
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	if string(environ) != workerEnv+"=1\x00" {
		t.Errorf("child environment %q, want only the worker marker", environ)
	}

	// Kill the child while hashes are queued in it: each is answered by the
	// next child.
	slow := Params{Memory: 16 * 1024, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			_, err := w.IDKey(ctx, []byte("pw"), make([]byte, 16), slow)
			errs <- err
		})
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return first.inFlight() == 4 }, "4 hashes never reached the child")
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("hash across a dead child: %v", err)
		}
	}
	if next := w.running(); next == first || next == nil || !next.alive() {
		t.Fatalf("no new child after the kill")
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := w.IDKey(cctx, []byte("pw"), make([]byte, 16), slow); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("ended context: %v, want unavailable", err)
	}
}

// TestWorkerFallsBack: when no child can be started, or every child ends
// before it answers, hashing happens in the process rather than failing.
func TestWorkerFallsBack(t *testing.T) {
	t.Parallel()
	exits, err := exec.LookPath("true") // starts, reads nothing, ends
	if err != nil {
		t.Fatal(err)
	}
	for _, exe := range []string{"/nonexistent/authd", exits} {
		w := NewWorker(exe, nil)
		t.Cleanup(w.Close)
		h := NewHasher(Config{Params: cheap, Worker: w})
		hash, err := h.Hash(context.Background(), domain.Secret("pw pw pw"))
		if err != nil {
			t.Fatalf("%s: %v", exe, err)
		}
		if ok, _, err := h.Verify(context.Background(), hash, domain.Secret("pw pw pw")); !ok || err != nil {
			t.Fatalf("%s: %v %v", exe, ok, err)
		}
	}
}

func (c *child) inFlight() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.pending) }

// niceOf reads the nice value (field 19) of a /proc stat file.
func niceOf(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	n, err := strconv.Atoi(fields[16]) // field 3 is fields[0]
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// BenchmarkWorker compares hashing at the production cost in the process and
// in the worker, with four callers per core as a burst of logins would be:
// what moving the hashes out costs when there is nothing else to run.
func BenchmarkWorker(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	w := NewWorker(exe, nil)
	b.Cleanup(w.Close)
	for _, bc := range []struct {
		name string
		h    *Hasher
	}{{"in-process", NewHasher(Config{})}, {"worker", NewHasher(Config{Worker: w})}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := bc.h.Hash(context.Background(), domain.Secret("correct horse battery")); err != nil {
						b.Error(err)
					}
				}
			})
		})
	}
}
