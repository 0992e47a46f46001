package password

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"authd/domain"
)

// Password hashing is the one CPU-heavy thing authd does: an argon2id hash at
// the production cost keeps a core busy for tens of milliseconds, and a flood
// of logins would otherwise hold every core and make every cheap request
// (a token check, a profile read) wait behind it. So every hash runs on one
// of a fixed set of worker goroutines, each locked to its own OS thread, and
// on Linux each of those threads runs at the lowest scheduling priority (nice
// 19): the kernel gives the hashes whatever CPU the requests leave, and all
// of it when nothing else runs, so logins still use every core on an idle
// machine. The runtime gets one more P per worker (GOMAXPROCS = cores +
// workers), so that hashing threads never hold the Ps that request
// goroutines need. argon2id comes from a copy of x/crypto's that computes on
// the calling goroutine (internal/argon2), since x/crypto starts goroutines
// of its own that would run on ordinary threads.

// hashPool is the set of hashing threads of the process.
type hashPool struct {
	jobs    chan *hashJob
	size    int
	lowered bool // every worker runs at the lowest priority
}

// hashJob is one hash to compute and the caller waiting for it.
type hashJob struct {
	fn       func()
	done     chan struct{}
	panicked any
}

// workers starts the pool on first use: one worker per P the process had, at
// low priority where the system allows it.
var workers = sync.OnceValue(func() *hashPool {
	n := runtime.GOMAXPROCS(0)
	p := &hashPool{jobs: make(chan *hashJob), size: n}
	lowered := make(chan bool, n)
	for range n {
		go p.work(lowered)
	}
	all := true
	for range n {
		all = <-lowered && all
	}
	// Only with the priority lowered: more Ps for threads of equal priority
	// would just share the same cores more thinly.
	if all {
		runtime.GOMAXPROCS(2 * n)
	}
	p.lowered = all
	return p
})

// work runs jobs for ever on its own OS thread, which it never gives back so
// that the thread keeps its priority.
func (p *hashPool) work(lowered chan<- bool) {
	runtime.LockOSThread()
	lowered <- lowerThreadPriority()
	for j := range p.jobs {
		func() {
			defer func() { j.panicked = recover() }()
			j.fn()
		}()
		close(j.done)
	}
}

// compute takes a hashing slot (bounding the hashes in memory) and runs fn on
// a hashing thread; it gives up as unavailable when ctx ends before fn
// starts. A panic in fn is raised again in the caller.
func (h *Hasher) compute(ctx context.Context, fn func()) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	j := &hashJob{fn: fn, done: make(chan struct{})}
	select {
	case workers().jobs <- j:
	case <-ctx.Done():
		return domain.WrapUnavailable(fmt.Errorf("password: %w", ctx.Err()))
	}
	<-j.done
	if j.panicked != nil {
		panic(j.panicked)
	}
	return nil
}
