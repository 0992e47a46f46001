package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
)

// maxGroup bounds how many transactions share one COMMIT, so that the first of
// a group never waits for an unbounded number behind it.
const maxGroup = 32

// committer runs the transactions of an engine with one writer connection
// (Dialect.GroupCommit) on one goroutine, with group commit. Such
// transactions queue for the connection anyway; run from a pool, each waits
// for its turn and then for a core to be scheduled on while the connection
// sits idle, so under load the writer is idle much of the time. Here the
// goroutine runs whatever has queued in one transaction: each function in a
// savepoint of its own, so that one that fails or panics rolls back alone, and
// one COMMIT makes them all durable. Every caller learns its outcome only
// after that COMMIT. Functions run one after the other, each seeing the
// writes of those before it: the same serial order the engine gives one
// writer, with the same isolation.
//
// The goroutine exists only while there is work: it starts with the first
// transaction that finds none running and ends when the queue is empty.
type committer struct {
	db *DB

	mu      sync.Mutex
	queue   []*job
	running bool

	ran, commits atomic.Uint64 // functions run in groups of two or more, and their COMMITs
}

// job is one WithinTx call, or one read (readBeforeWrite), waiting for, or in, a group.
type job struct {
	ctx context.Context
	fn  func(ctx context.Context) error
	// read, for a read, is run instead of fn: in the group's transaction
	// without a savepoint of its own (it changes nothing), or alone as one
	// autocommit statement on the writer, without BEGIN and COMMIT.
	read  func(ctx context.Context, q sqlx.ExtContext) error
	err   error
	panic any       // what fn panicked with, raised again on the caller's goroutine
	after *[]func() // what fn left to run after the COMMIT (DB.afterCommit), run by the caller
	done  chan struct{}
}

// do queues fn and waits for the group it ran in to end; after receives what
// fn left to run once it has committed (nothing when it failed).
func (c *committer) do(ctx context.Context, fn func(ctx context.Context) error, after *[]func()) error {
	*after = nil
	return c.wait(&job{ctx: ctx, fn: fn, after: after, done: make(chan struct{})})
}

// read queues a read and waits for the group it ran in to end.
func (c *committer) read(ctx context.Context, read func(ctx context.Context, q sqlx.ExtContext) error) error {
	var none []func()
	return c.wait(&job{ctx: ctx, read: read, after: &none, done: make(chan struct{})})
}

// wait queues j, starting the goroutine when none runs, and waits for j's group to end.
func (c *committer) wait(j *job) error {
	after := j.after
	c.mu.Lock()
	c.queue = append(c.queue, j)
	if !c.running {
		c.running = true
		go c.loop()
	}
	c.mu.Unlock()
	select {
	case <-j.done:
	case <-j.ctx.Done():
		// A caller that gives up while its job still waits in the queue (behind
		// a long group) takes it out: nothing of it ran. Once a group has taken
		// it, that group runs to its end and the caller waits for it.
		if c.dequeue(j) {
			return c.db.fail(j.ctx, "begin transaction", j.ctx.Err())
		}
		<-j.done
	}
	if j.panic != nil {
		*after = nil
		panic(j.panic)
	}
	if j.err != nil {
		*after = nil
	}
	return j.err
}

// dequeue takes j out of the queue and reports whether it was still there.
func (c *committer) dequeue(j *job) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, q := range c.queue {
		if q == j {
			c.queue = append(c.queue[:i:i], c.queue[i+1:]...)
			return true
		}
	}
	return false
}

func (c *committer) loop() {
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxGroup)
		if n == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		group := c.queue[:n:n]
		c.queue = c.queue[n:]
		if len(c.queue) == 0 {
			c.queue = nil // let the backing array go
		}
		c.mu.Unlock()
		c.run(group)
		for _, j := range group {
			close(j.done)
		}
	}
}

// run runs a group: alone in a plain transaction when it is one function, as
// a pool would; otherwise in one transaction with a savepoint per function.
func (c *committer) run(group []*job) {
	live := group[:0:0]
	for _, j := range group {
		if err := j.ctx.Err(); err != nil { // gave up while queued: nothing of it ran
			j.err = c.db.fail(j.ctx, "begin transaction", err)
			continue
		}
		live = append(live, j)
	}
	if len(live) == 1 {
		c.alone(live[0])
		return
	}
	if len(live) == 0 {
		return
	}
	if redo := c.runGroup(live); len(redo) > 0 {
		// The transaction broke under the group (the engine rolled it back
		// itself, or a savepoint failed): nothing of it was committed. The
		// functions that had not failed run again, each alone.
		for _, j := range redo {
			j.err, j.panic = nil, nil
			c.alone(j)
		}
	}
}

// alone runs j outside a group, as a pool would: a read as one autocommit
// statement on the writer (no BEGIN and COMMIT), anything else in a
// transaction of its own.
func (c *committer) alone(j *job) {
	ctx := context.WithoutCancel(j.ctx)
	if j.read != nil {
		j.err = j.guarded(ctx, c.db.w)
		return
	}
	j.err = c.db.runTx(ctx, func(ctx context.Context) error { return j.guarded(ctx, nil) }, j.after)
}

// runGroup runs live in one transaction. It returns the jobs to run again
// when the transaction could not be committed for a reason not theirs.
func (c *committer) runGroup(live []*job) (redo []*job) {
	// The transaction belongs to the group, not to one caller: a caller's
	// cancellation must not interrupt a statement, which makes SQLite roll
	// back the whole transaction and the others' work with it.
	tx, err := c.db.w.BeginTxx(context.Background(), c.db.d.TxOptions)
	if err != nil {
		for _, j := range live {
			j.err = c.db.fail(j.ctx, "begin transaction", err)
		}
		return nil
	}
	ok := live[:0:0]
	for i, j := range live {
		if j.read != nil { // changes nothing: no savepoint
			ctx := context.WithValue(context.WithoutCancel(j.ctx), txKey{}, txValue{db: c.db, tx: tx, after: j.after})
			j.err = j.guarded(ctx, tx)
			ok = append(ok, j)
			continue
		}
		if _, err := tx.Exec("SAVEPOINT grouped"); err != nil {
			_ = tx.Rollback()
			return append(ok, live[i:]...)
		}
		ctx := context.WithValue(context.WithoutCancel(j.ctx), txKey{}, txValue{db: c.db, tx: tx, after: j.after})
		if err := j.guarded(ctx, nil); err != nil || j.panic != nil {
			j.err = err
			*j.after = nil // rolled back alone: nothing of it commits
			if err := rollbackTo(tx); err != nil {
				_ = tx.Rollback()
				return append(ok, live[i+1:]...)
			}
			continue
		}
		if _, err := tx.Exec("RELEASE grouped"); err != nil {
			_ = tx.Rollback()
			return append(ok, live[i:]...)
		}
		ok = append(ok, j)
	}
	c.ran.Add(uint64(len(live)))
	c.commits.Add(1)
	if err := tx.Commit(); err != nil {
		for _, j := range ok {
			j.err = c.db.fail(j.ctx, "commit", err)
		}
	}
	return nil
}

// rollbackTo undoes the current function's savepoint and leaves it.
func rollbackTo(tx *sqlx.Tx) error {
	if _, err := tx.Exec("ROLLBACK TO grouped"); err != nil {
		return err
	}
	_, err := tx.Exec("RELEASE grouped")
	return err
}

// guarded runs the job's function (its read, on q), keeping a panic for the
// caller's goroutine (and reporting it as an error here, so that its work
// rolls back).
func (j *job) guarded(ctx context.Context, q sqlx.ExtContext) (err error) {
	defer func() {
		if p := recover(); p != nil {
			j.panic = p
			err = fmt.Errorf("panic in transaction: %v", p)
		}
	}()
	if j.read != nil {
		return j.read(ctx, q)
	}
	return j.fn(ctx)
}

// GroupStats reports, for an engine with group commit, how many transactions
// are queued for the writer now, how many ran in groups of two or more and how
// many COMMITs those groups took; zeros for other engines.
func (db *DB) GroupStats() (queued int, grouped, commits uint64) {
	c := db.group
	if c == nil {
		return 0, 0, 0
	}
	c.mu.Lock()
	queued = len(c.queue)
	c.mu.Unlock()
	return queued, c.ran.Load(), c.commits.Load()
}
