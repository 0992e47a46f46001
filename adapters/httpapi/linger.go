package httpapi

import (
	"cmp"
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Closing a socket that still holds unread request data makes the kernel answer
// with a reset, and a reset can destroy a response the client has not read yet.
// That is what happens to a client uploading a body over the server's ceiling: the
// server answers 413 after the headers and closes while the body is still coming,
// and the client sees "connection reset" instead of the 413. So every close of an
// accepted connection lingers, as Apache's and nginx's lingering close and
// net/http's closeWriteAndWait do: the server half-closes it (the client sees the
// end of the response), reads and discards what is still arriving, and closes the
// socket once the client is done or a bound is reached.
const (
	lingerTime     = 30 * time.Second // longest a closed connection is drained (nginx's lingering_time)
	lingerIdle     = 5 * time.Second  // a client that sends nothing for this long is done (lingering_timeout)
	lingerMaxBytes = 64 << 20         // most that is read and discarded per connection
	lingerMaxConns = 256              // connections drained at once; beyond, close at once
)

// lingerer tracks the connections that are being drained, so that Shutdown can
// wait for them and then cut them short. Its zero value is ready to use.
type lingerer struct {
	mu      sync.Mutex
	conns   map[*lingerConn]struct{}
	changed chan struct{} // closed and replaced whenever a drain ends
	stopped atomic.Bool   // after Shutdown: drains end, closes happen at once

	total, idle time.Duration // 0: lingerTime, lingerIdle (tests set others)
}

// listener wraps ln so that the connections it accepts linger when closed.
func (l *lingerer) listener(ln net.Listener) net.Listener { return &lingerListener{Listener: ln, l: l} }

type lingerListener struct {
	net.Listener
	l *lingerer
}

// halfCloser is a connection that can stop sending while it goes on receiving.
type halfCloser interface {
	net.Conn
	CloseWrite() error
}

func (ln *lingerListener) Accept() (net.Conn, error) {
	c, err := ln.Listener.Accept()
	if err != nil {
		return nil, err
	}
	hc, ok := c.(halfCloser)
	if !ok {
		return c, nil
	}
	return &lingerConn{Conn: c, hc: hc, l: ln.l}, nil
}

type lingerConn struct {
	net.Conn
	hc   halfCloser
	l    *lingerer
	once sync.Once
}

// Close half-closes the connection at once and drains it in the background, so
// the server's own shutdown, which closes idle connections one after the other,
// never waits for a client.
func (c *lingerConn) Close() error {
	var err error
	c.once.Do(func() {
		if !c.l.add(c) {
			err = c.Conn.Close()
			return
		}
		if err = c.hc.CloseWrite(); err != nil {
			c.l.remove(c)
			err = c.Conn.Close()
			return
		}
		go c.drain()
	})
	return err
}

var drainBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (c *lingerConn) drain() {
	defer c.l.remove(c)
	defer c.Conn.Close()
	buf := drainBuffers.Get().(*[]byte)
	defer drainBuffers.Put(buf)
	total, idle := cmp.Or(c.l.total, lingerTime), cmp.Or(c.l.idle, lingerIdle)
	end := time.Now().Add(total)
	for read := 0; read < lingerMaxBytes && !c.l.stopped.Load(); {
		deadline := time.Now().Add(idle)
		if deadline.After(end) {
			deadline = end
		}
		if c.Conn.SetReadDeadline(deadline) != nil {
			return
		}
		n, err := c.Conn.Read(*buf)
		read += n
		if err != nil { // the client closed, went quiet, or the time is up
			return
		}
	}
}

// add registers c as draining; false when it should close at once instead.
func (l *lingerer) add(c *lingerConn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped.Load() || len(l.conns) >= lingerMaxConns {
		return false
	}
	if l.conns == nil {
		l.conns = make(map[*lingerConn]struct{})
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *lingerer) remove(c *lingerConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// wait returns once no connection is draining, or when ctx ends, after cutting
// the remaining drains short. Connections closed from then on close at once.
func (l *lingerer) wait(ctx context.Context) {
	for {
		l.mu.Lock()
		if len(l.conns) == 0 {
			l.stopped.Store(true)
			l.mu.Unlock()
			return
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			l.mu.Lock()
			l.stopped.Store(true)
			for c := range l.conns {
				_ = c.Conn.Close() // the drain's Read returns at once
			}
			l.mu.Unlock()
			ctx = context.Background() // the cut drains end at once; wait for them
		}
	}
}
