package verifier

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// MemcachedDenylist reads the revocations authd writes to memcached
// (AUTH_DENYLIST=memcached): the key <Prefix>rv:<sid> holds the unix
// millisecond at which the entry ends, and each server holds a marker
// <Prefix>seeded:<n> that authd sets once it has seeded that server. A server
// without its marker lost its entries (restart, flush), so it cannot say "not
// revoked": that is ErrUnavailable until authd re-seeds it, as is an
// unreachable server. Servers and Prefix must be the ones authd uses.
type MemcachedDenylist struct {
	Servers []string      // AUTH_MEMCACHED_SERVERS of authd, in the same order
	Prefix  string        // key namespace; "" → "authd:", authd's default
	Timeout time.Duration // per operation; 0 → 500 ms

	once    sync.Once
	err     error
	client  *memcache.Client
	servers *memcache.ServerList
	prefix  string
	markers map[string]string // server address → a marker key that hashes to it
}

var _ Denylist = (*MemcachedDenylist)(nil)

// init builds the client once; New calls it so a bad server list fails there.
func (d *MemcachedDenylist) init() error {
	d.once.Do(func() { d.err = d.connect() })
	return d.err
}

func (d *MemcachedDenylist) connect() error {
	if len(d.Servers) == 0 {
		return errors.New("verifier: MemcachedDenylist.Servers is empty")
	}
	ss := new(memcache.ServerList)
	if err := ss.SetServers(d.Servers...); err != nil {
		return fmt.Errorf("verifier: memcached servers: %w", err)
	}
	d.prefix = d.Prefix
	if d.prefix == "" {
		d.prefix = "authd:"
	}
	d.client = memcache.NewFromSelector(ss)
	d.client.Timeout = d.Timeout
	if d.client.Timeout == 0 {
		d.client.Timeout = 500 * time.Millisecond
	}
	d.client.MaxIdleConns = 64
	d.servers = ss
	// The same placement as authd's adapters/memcached: for each server the
	// first marker key seeded:<n> that hashes to it.
	var addrs []string
	_ = ss.Each(func(a net.Addr) error { addrs = append(addrs, a.String()); return nil })
	d.markers = make(map[string]string, len(addrs))
	for i := 0; len(d.markers) < len(addrs) && i < 100000; i++ {
		key := d.prefix + "seeded:" + strconv.Itoa(i)
		addr, err := ss.PickServer(key)
		if err != nil {
			return fmt.Errorf("verifier: memcached: %w", err)
		}
		if _, ok := d.markers[addr.String()]; !ok {
			d.markers[addr.String()] = key
		}
	}
	if len(d.markers) < len(addrs) {
		return errors.New("verifier: memcached: cannot place a marker key on every server")
	}
	return nil
}

// Revoked reads the session's entry and its server's marker in one round trip.
// It fails closed: no answer, or a server without its marker, is ErrUnavailable.
func (d *MemcachedDenylist) Revoked(_ context.Context, sessionID string, now time.Time) (bool, error) {
	if err := d.init(); err != nil {
		return false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	key := d.prefix + "rv:" + sessionID
	addr, err := d.servers.PickServer(key)
	if err != nil {
		return false, fmt.Errorf("%w: memcached: %v", ErrUnavailable, err)
	}
	marker := d.markers[addr.String()]
	items, err := d.client.GetMulti([]string{key, marker})
	if err != nil {
		return false, fmt.Errorf("%w: memcached: %v", ErrUnavailable, err)
	}
	if _, ok := items[marker]; !ok {
		return false, fmt.Errorf("%w: memcached %s lost its entries (no marker); authd re-seeds it", ErrUnavailable, addr)
	}
	item, ok := items[key]
	if !ok {
		return false, nil
	}
	until, err := strconv.ParseInt(string(item.Value), 10, 64)
	// An unreadable entry is still a revocation.
	return err != nil || now.UnixMilli() < until, nil
}

// Close releases idle connections.
func (d *MemcachedDenylist) Close() error {
	if d.client == nil {
		return nil
	}
	return d.client.Close()
}
