package memcached

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"authd/adapters/internal/window"
	"authd/ports"
)

// Counters implements ports.AbuseCounters on memcached: one key per bucket of a
// window, created with add and counted with incr/decr, which memcached applies
// atomically, so instances never race on a read-modify-write. Counters are small
// and expire with their window; an evicted counter only loosens a limit for a
// while, so they may live on servers that evict.
type Counters struct {
	client *memcache.Client
	prefix string
	clock  ports.Clock
}

var _ ports.AbuseCounters = (*Counters)(nil)

// NewCounters connects lazily to cfg's servers (AUTH_LIMITER_MEMCACHED_SERVERS);
// it does not fail when they are down: the guarded endpoints answer 503 until they are back.
func NewCounters(cfg Config, clock ports.Clock) (*Counters, error) {
	client, _, prefix, err := connect(cfg, "AUTH_LIMITER_MEMCACHED_SERVERS")
	if err != nil {
		return nil, err
	}
	return &Counters{client: client, prefix: prefix, clock: clock}, nil
}

// bucketKey names one bucket; keys that memcached could not take (too long,
// spaces or control characters) are hashed.
func (c *Counters) bucketKey(key string, l window.Layout, b int64) string {
	return c.prefix + "rl:" + safeKey(key) + ":" + strconv.FormatInt(int64(l.Width/time.Second), 10) + ":" + strconv.FormatInt(b, 10)
}

func safeKey(key string) string {
	ok := len(key) <= 150
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if ok {
		return key
	}
	h := sha256.Sum256([]byte(key))
	return "h" + hex.EncodeToString(h[:16])
}

// Hit increments the current bucket (creating it when missing) and then reads
// the window's other buckets in one round trip.
func (c *Counters) Hit(_ context.Context, key string, length time.Duration, now time.Time) (ports.Window, error) {
	l := window.For(length)
	first, last := l.Counted(now)
	cur := c.bucketKey(key, l, last)
	n, err := c.incr(cur, l.TTL())
	if err != nil {
		return ports.Window{}, unavailable("count attempt", err)
	}
	keys := make([]string, 0, l.N-1)
	for b := first; b < last; b++ {
		keys = append(keys, c.bucketKey(key, l, b))
	}
	items, err := getMulti(c.client, keys)
	if err != nil {
		return ports.Window{}, unavailable("read attempts", err)
	}
	counts := make([]int, l.N)
	for i, k := range keys {
		if it, ok := items[k]; ok {
			counts[i] = parseCount(it.Value)
		}
	}
	counts[l.N-1] = int(n)
	return l.Window(first, counts), nil
}

// incr adds one to key, creating it with ttl when it does not exist.
func (c *Counters) incr(key string, ttl time.Duration) (uint64, error) {
	for range 3 {
		n, err := c.client.Increment(key, 1)
		if !errors.Is(err, memcache.ErrCacheMiss) {
			return n, err
		}
		err = c.client.Add(&memcache.Item{Key: key, Value: []byte("1"), Expiration: expiration(ttl, c.clock.Now().Add(ttl))})
		if !errors.Is(err, memcache.ErrNotStored) {
			return 1, err
		}
		// Another instance created it first: count on it.
	}
	return 0, errors.New("counter keeps disappearing")
}

// Unhit decrements the bucket of at (memcached stops at zero).
func (c *Counters) Unhit(_ context.Context, key string, length time.Duration, at time.Time) error {
	l := window.For(length)
	_, err := c.client.Decrement(c.bucketKey(key, l, l.Index(at)), 1)
	if err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return unavailable("take back attempt", err)
	}
	return nil
}

// Clear deletes the buckets of key that hold events.
func (c *Counters) Clear(_ context.Context, key string, length time.Duration, now time.Time) error {
	l := window.For(length)
	first, last := l.Counted(now)
	keys := make([]string, 0, l.N)
	for b := first; b <= last; b++ {
		keys = append(keys, c.bucketKey(key, l, b))
	}
	items, err := getMulti(c.client, keys)
	if err != nil {
		return unavailable("read attempts", err)
	}
	for k := range items {
		if err := c.client.Delete(k); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
			return unavailable("clear attempts", err)
		}
	}
	return nil
}

// First adds a marker with ttl; memcached refuses the add while one is live.
func (c *Counters) First(_ context.Context, key string, ttl time.Duration) (bool, error) {
	err := c.client.Add(&memcache.Item{Key: c.prefix + "once:" + safeKey(key), Value: []byte("1"),
		Expiration: expiration(ttl, c.clock.Now().Add(ttl))})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, memcache.ErrNotStored):
		return false, nil
	}
	return false, unavailable("mark notice", err)
}

// Ping checks that every server answers.
func (c *Counters) Ping(context.Context) error {
	if err := c.client.Ping(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close releases idle connections.
func (c *Counters) Close() error { return c.client.Close() }

// parseCount reads a counter's value; memcached pads decremented values with spaces.
func parseCount(v []byte) int {
	end := len(v)
	for end > 0 && (v[end-1] == ' ' || v[end-1] == '\r' || v[end-1] == '\n') {
		end--
	}
	n, err := strconv.Atoi(string(v[:end]))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
