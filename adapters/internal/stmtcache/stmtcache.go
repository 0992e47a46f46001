// Package stmtcache keeps each database connection's prepared statements by
// query text, so that the server parses a query once per connection instead of
// on every call: database/sql prepares and closes a statement around every
// query that is not an explicit *sql.Stmt, and a driver that writes the values
// into the SQL text instead (MySQL's interpolateParams) still makes the server
// parse the whole text every time. The engines' adapters put it in front of
// their driver's connector (SQLite and MySQL; pgx caches its statements
// itself).
//
// A connection keeps at most a bounded number of statements and closes the one
// it used least recently to make room, so a query text that varies (an IN list
// of varying length) cannot hold server resources without bound. A statement
// whose rows are still open cannot run again until they are closed; a call of
// the same query meanwhile runs uncached, on the driver's own path.
package stmtcache

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
)

// Connector opens connections with a statement cache in front of each.
type Connector struct {
	driver.Connector
	size int
	name string
}

// New returns a connector whose connections keep up to size prepared
// statements each; name prefixes its errors ("sqlite", "mysql").
func New(inner driver.Connector, size int, name string) Connector {
	return Connector{Connector: inner, size: max(size, 1), name: name}
}

// Connect opens a connection and puts a statement cache in front of it.
func (c Connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	in, ok := conn.(innerConn)
	if !ok {
		_ = conn.Close()
		return nil, errors.New(c.name + ": the driver's connection lacks the context methods the statement cache needs")
	}
	return &Conn{innerConn: in, size: c.size, stmts: map[string]*list.Element{}, lru: list.New()}, nil
}

// innerConn is what a driver's connection must offer for the cache.
type innerConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
}

// stmt is what a driver's prepared statement must offer to be cached.
type stmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// Conn is one connection with its prepared statements. database/sql never
// uses a connection from two goroutines at once, so the cache needs no lock of
// its own.
type Conn struct {
	innerConn
	size  int
	stmts map[string]*list.Element // of *cached, by query text
	lru   *list.List               // most recently used first
}

// cached is a prepared statement and whether rows of it are open.
type cached struct {
	query string
	stmt  stmt
	busy  bool
}

var (
	_ driver.Conn               = (*Conn)(nil)
	_ driver.ConnPrepareContext = (*Conn)(nil)
	_ driver.ConnBeginTx        = (*Conn)(nil)
	_ driver.ExecerContext      = (*Conn)(nil)
	_ driver.QueryerContext     = (*Conn)(nil)
	_ driver.NamedValueChecker  = (*Conn)(nil)
	_ driver.Pinger             = (*Conn)(nil)
	_ driver.SessionResetter    = (*Conn)(nil)
	_ driver.Validator          = (*Conn)(nil)
)

// Len is how many statements the connection keeps now, and Has whether one
// of them is query's (for tests, through sql.Conn.Raw).
func (c *Conn) Len() int { return len(c.stmts) }

func (c *Conn) Has(query string) bool { _, ok := c.stmts[query]; return ok }

// prepared returns the cached statement for query, preparing it on first use;
// nil when it is busy with open rows or the driver's statement cannot be
// cached (the caller then runs the query uncached).
func (c *Conn) prepared(ctx context.Context, query string) (*cached, error) {
	if e, ok := c.stmts[query]; ok {
		s := e.Value.(*cached)
		if s.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return s, nil
	}
	ds, err := c.innerConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(stmt)
	if !ok {
		_ = ds.Close()
		return nil, nil
	}
	if len(c.stmts) >= c.size {
		c.evict()
	}
	s := &cached{query: query, stmt: st}
	c.stmts[query] = c.lru.PushFront(s)
	return s, nil
}

// evict closes and forgets the least recently used statement without open rows.
func (c *Conn) evict() {
	for e := c.lru.Back(); e != nil; e = e.Prev() {
		if s := e.Value.(*cached); !s.busy {
			_ = s.stmt.Close()
			delete(c.stmts, s.query)
			c.lru.Remove(e)
			return
		}
	}
}

// ExecContext runs query on its cached statement.
func (c *Conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.innerConn.ExecContext(ctx, query, args)
	}
	return s.stmt.ExecContext(ctx, args)
}

// QueryContext runs query on its cached statement; the statement is busy
// until the rows are closed.
func (c *Conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.innerConn.QueryContext(ctx, query, args)
	}
	r, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &rows{Rows: r, stmt: s}, nil
}

// CheckNamedValue converts arguments as the driver's connection does, so that
// a cached statement gets what the driver would have sent itself.
func (c *Conn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.innerConn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// Ping forwards to the connection.
func (c *Conn) Ping(ctx context.Context) error {
	if p, ok := c.innerConn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// ResetSession forwards to the connection.
func (c *Conn) ResetSession(ctx context.Context) error {
	if r, ok := c.innerConn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

// IsValid forwards to the connection.
func (c *Conn) IsValid() bool {
	if v, ok := c.innerConn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Close closes every cached statement, then the connection.
func (c *Conn) Close() error {
	for _, e := range c.stmts {
		_ = e.Value.(*cached).stmt.Close()
	}
	clear(c.stmts)
	c.lru.Init()
	return c.innerConn.Close()
}

// rows frees its statement for the next call when closed.
type rows struct {
	driver.Rows
	stmt *cached
}

// Close closes the rows (which resets the statement) and frees the statement.
func (r *rows) Close() error {
	err := r.Rows.Close()
	r.stmt.busy = false
	return err
}
