package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"log/slog"
	"time"

	"modernc.org/sqlite"
)

// Checkpoints. A commit in WAL mode appends the changed pages to the WAL file;
// a checkpoint copies them into the database file and syncs both files to disk
// (with synchronous=NORMAL, that sync is what makes commits survive a power
// loss). SQLite's default runs one on the committing connection whenever the
// WAL reaches 1,000 pages: under a stream of refreshes that was a checkpoint,
// two fsyncs and a rewrite of the same hot pages every ~250 commits, all on the
// one writer that every write waits for (5.5% of the CPU of a 32-client refresh
// benchmark, its client included).
//
// Here a checkpointer on a connection of its own copies the WAL in the
// background instead, at most one period after a commit: the writer goes on
// committing meanwhile, a page written by many commits of a period is copied
// once, and the fsyncs are a few per second however many commits there are. A
// commit is on disk within about a period, where before, on a quiet server, it
// waited until 1,000 pages had gathered.
//
// The writer keeps a checkpoint of its own for a WAL that reaches walBackstop
// pages (64 MiB). A passive checkpoint never waits for the writer, so under
// sustained writes it never finds the WAL fully copied, and only a checkpoint on
// the committing connection lets the next commit start the WAL file over; by
// then the checkpointer has copied all but its last period's pages.
const (
	checkpointPeriod = 250 * time.Millisecond
	walBackstop      = "wal_autocheckpoint(16000)"
)

// checkpointer runs passive checkpoints on its own connection, one period
// after the writer commits.
type checkpointer struct {
	db     *sql.DB
	period time.Duration
	log    *slog.Logger
	kick   chan struct{} // a commit since the last checkpoint; holds one
	stop   context.CancelFunc
	done   chan struct{}
}

// newCheckpointer opens the checkpointer's connection on dsn; start runs it.
func newCheckpointer(dsn string, period time.Duration, log *slog.Logger) (*checkpointer, error) {
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return &checkpointer{db: db, period: period, log: log, kick: make(chan struct{}, 1), done: make(chan struct{})}, nil
}

// committed tells the checkpointer that the writer commits. It never blocks:
// it runs inside SQLite's commit.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// start runs checkpoints until close.
func (c *checkpointer) start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	go c.run(ctx)
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	wait := time.NewTimer(c.period)
	wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
		// The period's later commits are copied by the same checkpoint.
		wait.Reset(c.period)
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-wait.C:
		}
		c.checkpoint(ctx)
	}
}

// checkpoint copies what it can of the WAL without waiting for anyone. A
// failure is logged and left to the next period (or the writer's own
// checkpoint): the WAL keeps every commit until one succeeds.
func (c *checkpointer) checkpoint(ctx context.Context) {
	var busy, frames, copied int
	err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	if err != nil && ctx.Err() == nil {
		c.log.Warn("checkpoint_failed", "error", err)
	}
}

// close stops the checkpointer and closes its connection; the last connection
// to close checkpoints what is left.
func (c *checkpointer) close() {
	if c.stop != nil {
		c.stop()
		<-c.done
	}
	_ = c.db.Close()
}

// commitHookConnector calls onCommit whenever one of its connections commits.
type commitHookConnector struct {
	driver.Connector
	onCommit func()
}

// commitHooker is the driver's connection's way to register a commit hook.
type commitHooker interface {
	RegisterCommitHook(sqlite.CommitHookFn)
}

// Connect opens a connection with the commit hook registered.
func (c commitHookConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	h, ok := conn.(commitHooker)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("sqlite: the driver's connection takes no commit hook")
	}
	// Returning 0 lets the commit go on.
	h.RegisterCommitHook(func() int32 { c.onCommit(); return 0 })
	return conn, nil
}
