package memory

import (
	"container/list"
	"context"
	"sync"
	"time"

	"authd/adapters/internal/window"
	"authd/ports"
)

// DefaultMaxCounters bounds the in-process abuse counters: about 100 bytes and a
// few buckets each, so a spray of random emails costs tens of megabytes at most
// before the least recently used counters are dropped.
const DefaultMaxCounters = 100_000

// Counters is the in-process ports.AbuseCounters of the embedded default. It is
// bounded: past max keys, the least recently touched are dropped first (an
// attacker spraying keys can only loosen the limits of the keys he pushes out,
// never exhaust memory).
type Counters struct {
	clock ports.Clock
	max   int

	mu      sync.Mutex
	entries map[string]*list.Element // of *counter
	lru     *list.List               // front: most recently touched
}

// counter is one key: its buckets, or a once-per-window marker.
type counter struct {
	key     string
	buckets map[int64]int
	until   time.Time // the marker's or the last bucket's end
}

var _ ports.AbuseCounters = (*Counters)(nil)

// NewCounters returns an empty store holding at most maxKeys keys (0: DefaultMaxCounters).
func NewCounters(clock ports.Clock, maxKeys int) *Counters {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxCounters
	}
	return &Counters{clock: clock, max: maxKeys, entries: map[string]*list.Element{}, lru: list.New()}
}

func bucketsKey(key string, l window.Layout) string { return "w" + l.Width.String() + "\x00" + key }

// Hit adds one event and returns the window.
func (c *Counters) Hit(_ context.Context, key string, length time.Duration, now time.Time) (ports.Window, error) {
	l := window.For(length)
	first, last := l.Counted(now)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.touch(bucketsKey(key, l), now, true)
	for b := range e.buckets {
		if b < first {
			delete(e.buckets, b)
		}
	}
	e.buckets[last]++
	e.until = l.Leaves(last)
	counts := make([]int, l.N)
	for b, n := range e.buckets {
		if b <= last {
			counts[b-first] = n
		}
	}
	return l.Window(first, counts), nil
}

// Unhit takes back one event of the bucket of at.
func (c *Counters) Unhit(_ context.Context, key string, length time.Duration, at time.Time) error {
	l := window.For(length)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.touch(bucketsKey(key, l), at, false); e != nil {
		if b := l.Index(at); e.buckets[b] > 0 {
			e.buckets[b]--
		}
	}
	return nil
}

// Clear drops the key.
func (c *Counters) Clear(_ context.Context, key string, length time.Duration, _ time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop(bucketsKey(key, window.For(length)))
	return nil
}

// First sets a marker for ttl unless one is live.
func (c *Counters) First(_ context.Context, key string, ttl time.Duration) (bool, error) {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.touch("first\x00"+key, now, true)
	if now.Before(e.until) {
		return false, nil
	}
	e.until = now.Add(ttl)
	return true, nil
}

// Ping always succeeds: the store is the process itself.
func (c *Counters) Ping(context.Context) error { return nil }

// touch returns key's counter, marking it most recently used; with create it
// makes a missing (or ended) one, dropping the least recently used past the bound.
func (c *Counters) touch(key string, now time.Time, create bool) *counter {
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*counter)
		if now.Before(e.until) || !create {
			c.lru.MoveToFront(el)
			return e
		}
		c.drop(key)
	}
	if !create {
		return nil
	}
	e := &counter{key: key, buckets: map[int64]int{}}
	c.entries[key] = c.lru.PushFront(e)
	for c.lru.Len() > c.max {
		c.drop(c.lru.Back().Value.(*counter).key)
	}
	return e
}

func (c *Counters) drop(key string) {
	if el, ok := c.entries[key]; ok {
		c.lru.Remove(el)
		delete(c.entries, key)
	}
}

// Len reports how many keys are held (for tests of the bound).
func (c *Counters) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
