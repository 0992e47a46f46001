package password

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"authd/domain"
)

// Password hashing is the one CPU-bound job of the service: a flood of logins
// would otherwise take every core from the requests that need a few
// microseconds each (reading a profile, refreshing a token). A Worker runs
// argon2id in a child process of the same binary at the lowest CPU priority,
// so the kernel gives the cores to the server first and the hashes every cycle
// left over: an idle machine hashes at full speed, a busy one keeps answering.
// The parent keeps everything else — salts, the PHC encoding, the
// constant-time comparison, the pool that bounds how many hashes (and how much
// memory) run at once — so the child is a pure function: parameters, salt and
// password in, key out. It gets no environment (no configuration secrets) and
// exits when its input closes, that is when the server does.

// lowestPriority is the nice value of the worker: the kernel's CFS weights a
// nice-19 thread at 15 against 1024 for the server's, so the server's threads
// get the cores whenever they are runnable.
const lowestPriority = 19

// workerEnv marks the child: RunWorkerIfRequested serves when it is "1".
const workerEnv = "AUTHD_INTERNAL_PASSWORD_WORKER"

// maxWorkerPassword bounds a password the child accepts (the domain allows far
// less); a larger frame means the stream is broken.
const maxWorkerPassword = 1 << 16

// RunWorkerIfRequested turns this process into a hashing worker when the
// parent started it as one: it lowers its priority, serves requests from
// standard input until it closes, and exits. Call it first thing in main (and
// in TestMain of test binaries that start the service); otherwise it returns
// at once.
func RunWorkerIfRequested() {
	if os.Getenv(workerEnv) != "1" {
		return
	}
	lowerPriority()
	if err := ServeWorker(pollable(0, "stdin"), pollable(1, "stdout")); err != nil {
		fmt.Fprintln(os.Stderr, "authd password worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// request and response frames, big-endian:
//
//	request:  id u64 | memory u32 | iterations u32 | parallelism u8 | keyLen u32 | saltLen u32 | passwordLen u32 | salt | password
//	response: id u64 | status u8 (0 key, 1 error text) | len u32 | bytes
const (
	requestHeader  = 8 + 4 + 4 + 1 + 4 + 4 + 4
	responseHeader = 8 + 1 + 4
)

// ServeWorker answers hashing requests from r on w until r ends. At most one
// hash per core runs at once (each holds its memory cost); the parent sends
// up to twice that, so that the next request is always here when a hash ends
// and no core waits for a round trip through the pipe.
func ServeWorker(r io.Reader, w io.Writer) error {
	running := make(chan struct{}, runtime.GOMAXPROCS(0))
	in := bufio.NewReader(r)
	var mu sync.Mutex // one response frame at a time
	reply := func(id uint64, status byte, body []byte) error {
		frame := make([]byte, responseHeader+len(body))
		binary.BigEndian.PutUint64(frame, id)
		frame[8] = status
		binary.BigEndian.PutUint32(frame[9:], uint32(len(body)))
		copy(frame[responseHeader:], body)
		mu.Lock()
		defer mu.Unlock()
		_, err := w.Write(frame)
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	head := make([]byte, requestHeader)
	for {
		if _, err := io.ReadFull(in, head); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		id := binary.BigEndian.Uint64(head)
		p := Params{
			Memory:      binary.BigEndian.Uint32(head[8:]),
			Iterations:  binary.BigEndian.Uint32(head[12:]),
			Parallelism: head[16],
			KeyLen:      binary.BigEndian.Uint32(head[17:]),
			SaltLen:     binary.BigEndian.Uint32(head[21:]),
		}
		pwLen := binary.BigEndian.Uint32(head[25:])
		if p.SaltLen > maxKeyLen || pwLen > maxWorkerPassword {
			return fmt.Errorf("request %d: salt of %d or password of %d bytes: the stream is broken", id, p.SaltLen, pwLen)
		}
		body := make([]byte, int(p.SaltLen)+int(pwLen))
		if _, err := io.ReadFull(in, body); err != nil {
			return fmt.Errorf("request %d: %w", id, err)
		}
		if err := checkParams(p); err != nil {
			if err := reply(id, 1, []byte(err.Error())); err != nil {
				return err
			}
			continue
		}
		wg.Go(func() {
			running <- struct{}{}
			defer func() { <-running }()
			key := IDKey(body[p.SaltLen:], body[:p.SaltLen], p)
			clear(body)
			_ = reply(id, 0, key) // a failed write ends the next read too
		})
	}
}

// checkParams holds a request to the limits a stored hash is held to.
func checkParams(p Params) error {
	if p.Memory == 0 || p.Memory > maxMemory || p.Iterations == 0 || p.Iterations > maxIterations ||
		p.Parallelism == 0 || p.Memory < 8*uint32(p.Parallelism) || p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen {
		return fmt.Errorf("argon2id parameters out of range: m=%d t=%d p=%d key=%d", p.Memory, p.Iterations, p.Parallelism, p.KeyLen)
	}
	return nil
}

// Worker is the parent's side: it starts the child on first use, sends it
// requests and routes the answers back, and starts a new child when one dies
// (a request the dead child held is sent once more to the new one).
type Worker struct {
	exe string
	log *slog.Logger

	nextID atomic.Uint64

	mu           sync.Mutex
	child        *child
	startFailure time.Time // when starting a child last failed
}

// child is one running worker process.
type child struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	wmu     sync.Mutex // one request frame at a time
	mu      sync.Mutex
	pending map[uint64]chan result
	err     error         // why it ended, once it has
	ended   chan struct{} // closed when it has
}

type result struct {
	key []byte
	err error
}

// errChildGone is what a request gets when its child ended before answering.
var errChildGone = errors.New("password worker ended")

// NewWorker returns a worker that runs exe (this binary) as its child; nothing
// starts until the first hash.
func NewWorker(exe string, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{exe: exe, log: log}
}

var (
	sharedOnce   sync.Once
	sharedWorker *Worker
)

// SharedWorker is the process's one worker, running this executable; nil when
// the executable cannot be found (hashing then stays in the process). Every
// hasher of the process shares it, so a process has one child at most.
func SharedWorker(log *slog.Logger) *Worker {
	sharedOnce.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			if log != nil {
				log.Warn("password_worker_unavailable", "reason", err.Error(), "hashing", "in-process")
			}
			return
		}
		sharedWorker = NewWorker(exe, log)
	})
	return sharedWorker
}

// IDKey computes argon2id in the child. It fails as unavailable when ctx ends
// first. A request whose child ends before answering is sent once more, to a
// new child; when that one ends too, or no child can be started, the hash is
// made in this process, so that hashing never fails because of the worker.
func (w *Worker) IDKey(ctx context.Context, password, salt []byte, p Params) ([]byte, error) {
	for range 2 {
		c, err := w.current()
		if err != nil {
			break
		}
		key, err := c.do(ctx, w.nextID.Add(1), password, salt, p)
		if !errors.Is(err, errChildGone) {
			return key, err
		}
	}
	return IDKey(password, salt, p), nil
}

// Close ends the child, if one runs, and waits until it has exited; a hash
// after Close starts a new one.
func (w *Worker) Close() {
	w.mu.Lock()
	c := w.child
	w.mu.Unlock()
	if c != nil {
		_ = c.stdin.Close()
		<-c.ended
	}
}

// current returns the running child, starting one when there is none; after
// a failed start it does not try again for a second (hashing stays in the
// process meanwhile).
func (w *Worker) current() (*child, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.child != nil && w.child.alive() {
		return w.child, nil
	}
	if !w.startFailure.IsZero() && time.Since(w.startFailure) < time.Second {
		return nil, errors.New("password worker: restarting too often")
	}
	c, err := startChild(w.exe)
	if err != nil {
		w.startFailure = time.Now()
		w.log.Error("password_worker_start_failed", "error", err.Error(), "hashing", "in-process")
		return nil, err
	}
	if w.child != nil {
		w.log.Warn("password_worker_restarted", "previous", w.child.reason())
	}
	w.startFailure = time.Time{}
	w.child = c
	return c, nil
}

func startChild(exe string) (*child, error) {
	cmd := exec.Command(exe)
	cmd.Env = []string{workerEnv + "=1"}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("password worker: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin, pending: map[uint64]chan result{}, ended: make(chan struct{})}
	go c.read(stdout)
	return c, nil
}

// read routes the child's answers until it ends, then fails whatever it held.
func (c *child) read(stdout io.Reader) {
	err := c.route(stdout)
	_ = c.stdin.Close()
	waitErr := c.cmd.Wait()
	defer close(c.ended)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = fmt.Errorf("%w: %v (%v)", errChildGone, err, waitErr)
	for id, ch := range c.pending {
		ch <- result{err: c.err}
		delete(c.pending, id)
	}
}

// route hands each answer on stdout to the request waiting for it, until the
// stream ends.
func (c *child) route(stdout io.Reader) error {
	in := bufio.NewReader(stdout)
	head := make([]byte, responseHeader)
	for {
		if _, err := io.ReadFull(in, head); err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(head[9:])
		if n > maxKeyLen+1024 {
			return fmt.Errorf("answer of %d bytes: the stream is broken", n)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(in, body); err != nil {
			return err
		}
		res := result{key: body}
		if head[8] != 0 {
			res = result{err: fmt.Errorf("password worker: %s", body)}
		}
		id := binary.BigEndian.Uint64(head)
		c.mu.Lock()
		ch := c.pending[id]
		delete(c.pending, id)
		c.mu.Unlock()
		if ch != nil {
			ch <- res
		}
	}
}

func (c *child) alive() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.err == nil }

func (c *child) reason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		return ""
	}
	return c.err.Error()
}

// do sends one request and waits for its answer or ctx.
func (c *child) do(ctx context.Context, id uint64, password, salt []byte, p Params) ([]byte, error) {
	ch := make(chan result, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil, c.err
	}
	c.pending[id] = ch
	c.mu.Unlock()

	frame := make([]byte, requestHeader+len(salt)+len(password))
	binary.BigEndian.PutUint64(frame, id)
	binary.BigEndian.PutUint32(frame[8:], p.Memory)
	binary.BigEndian.PutUint32(frame[12:], p.Iterations)
	frame[16] = p.Parallelism
	binary.BigEndian.PutUint32(frame[17:], p.KeyLen)
	binary.BigEndian.PutUint32(frame[21:], uint32(len(salt)))
	binary.BigEndian.PutUint32(frame[25:], uint32(len(password)))
	copy(frame[requestHeader:], salt)
	copy(frame[requestHeader+len(salt):], password)
	c.wmu.Lock()
	_, err := c.stdin.Write(frame)
	c.wmu.Unlock()
	clear(frame)
	if err != nil {
		// A write fails only when the child has ended. The request is failed
		// here unless the reader, seeing the end, has failed it already (one
		// answer per request: ch holds one).
		c.mu.Lock()
		if _, ok := c.pending[id]; ok {
			delete(c.pending, id)
			ch <- result{err: fmt.Errorf("%w: %v", errChildGone, err)}
		}
		c.mu.Unlock()
	}
	select {
	case res := <-ch:
		return res.key, res.err
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return nil, domain.WrapUnavailable(fmt.Errorf("password: %w", ctx.Err()))
	}
}
