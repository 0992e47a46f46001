package memcached

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"authd/domain"
	"authd/ports"
)

// Config names the servers and the key namespace.
type Config struct {
	Servers []string      // host:port, at least one
	Prefix  string        // key namespace; "" → "authd:"
	Timeout time.Duration // per operation; 0 → 500ms
}

// Denylist implements ports.TokenDenylist on memcached.
type Denylist struct {
	client  *memcache.Client
	servers *memcache.ServerList
	prefix  string
	clock   ports.Clock
	// markers maps each server's address to a marker key that hashes to it, so
	// a check reads its entry and its server's marker in one round trip.
	markers map[string]string
}

var (
	_ ports.TokenDenylist   = (*Denylist)(nil)
	_ ports.AccountVersions = (*Denylist)(nil)
)

// NewDenylist connects lazily to the servers; it does not fail when they are
// down, so authd starts and /readyz reports the outage.
func NewDenylist(cfg Config, clock ports.Clock) (*Denylist, error) {
	client, ss, prefix, err := connect(cfg, "AUTH_MEMCACHED_SERVERS")
	if err != nil {
		return nil, err
	}
	d := &Denylist{client: client, servers: ss, prefix: prefix, clock: clock, markers: map[string]string{}}
	var addrs []string
	_ = ss.Each(func(a net.Addr) error { addrs = append(addrs, a.String()); return nil })
	for i := 0; len(d.markers) < len(addrs) && i < 100000; i++ {
		key := prefix + "seeded:" + strconv.Itoa(i)
		addr, err := ss.PickServer(key)
		if err != nil {
			return nil, fmt.Errorf("memcached: %w", err)
		}
		if _, ok := d.markers[addr.String()]; !ok {
			d.markers[addr.String()] = key
		}
	}
	if len(d.markers) < len(addrs) {
		return nil, errors.New("memcached: cannot place a marker key on every server")
	}
	return d, nil
}

func (d *Denylist) key(id domain.SessionID) string { return d.prefix + "rv:" + string(id) }

// Add stores each revocation until its access tokens expire.
func (d *Denylist) Add(_ context.Context, revs ...domain.Revocation) error {
	now := d.clock.Now()
	for _, r := range revs {
		ttl := r.AccessUntil.Sub(now)
		if ttl <= 0 {
			continue
		}
		// The value is the end of the entry, so it is judged by authd's clock
		// rather than by memcached's, which may be skewed.
		until := strconv.FormatInt(r.AccessUntil.UnixMilli(), 10)
		item := &memcache.Item{Key: d.key(r.SessionID), Value: []byte(until), Expiration: expiration(ttl, r.AccessUntil)}
		if err := d.client.Set(item); err != nil {
			return unavailable("add revocation", err)
		}
	}
	return nil
}

// versionKey is where the account's version lives.
func (d *Denylist) versionKey(id domain.UserID) string { return d.prefix + "av:" + string(id) }

// Contains reads the session's entry and its server's marker in one round trip.
func (d *Denylist) Contains(_ context.Context, id domain.SessionID) (bool, error) {
	revoked, _, err := d.check(id, "")
	return revoked, err
}

// ContainsForUser is Contains with the account's version in the same round
// trip (one more key of the GetMulti).
func (d *Denylist) ContainsForUser(_ context.Context, id domain.SessionID, user domain.UserID) (bool, string, error) {
	return d.check(id, user)
}

func (d *Denylist) check(id domain.SessionID, user domain.UserID) (revoked bool, version string, err error) {
	key := d.key(id)
	addr, err := d.servers.PickServer(key)
	if err != nil {
		return false, "", unavailable("pick server", err)
	}
	marker := d.markers[addr.String()]
	keys := []string{key, marker}
	vkey, elsewhere := "", false // elsewhere: the version lives on another server than the entry
	if user != "" {
		vkey = d.versionKey(user)
		keys = append(keys, vkey)
		vaddr, err := d.servers.PickServer(vkey)
		elsewhere = err != nil || vaddr.String() != addr.String()
	}
	items, err := getMulti(d.client, keys)
	if err != nil && elsewhere {
		// One of two servers failed: the revocation check must not fail
		// because the version's server did, so ask the entry's server alone
		// (and trust no copy: there is no version).
		vkey = ""
		items, err = getMulti(d.client, keys[:2])
	}
	if err != nil {
		return false, "", unavailable("check revocation", err)
	}
	if _, ok := items[marker]; !ok {
		return false, "", ports.ErrDenylistStale
	}
	if v, ok := items[vkey]; ok && vkey != "" {
		version = string(v.Value)
	}
	item, ok := items[key]
	if !ok {
		return false, version, nil
	}
	until, err := strconv.ParseInt(string(item.Value), 10, 64)
	// An unreadable entry is still a revocation: fail closed.
	return err != nil || d.clock.Now().UnixMilli() < until, version, nil
}

// versionTTL is how long memcached keeps an account's version: long past the
// copies kept under it (30 s), short enough that only recently active
// accounts take memory (about 150 bytes each), which matters on a server run
// without eviction (-M), where the denylist shares the memory. An expired
// version only means that no copy is trusted until the next one starts.
const versionTTL = int32(time.Hour / time.Second)

// Bump stores a new random version of the account.
func (d *Denylist) Bump(_ context.Context, id domain.UserID) error {
	if err := d.client.Set(&memcache.Item{Key: d.versionKey(id), Value: newVersion(), Expiration: versionTTL}); err != nil {
		return unavailable("bump account version", err)
	}
	return nil
}

// Start adds a version for an account that has none (memcached's add, which
// fails when the key exists).
func (d *Denylist) Start(_ context.Context, id domain.UserID) (string, error) {
	v := newVersion()
	err := d.client.Add(&memcache.Item{Key: d.versionKey(id), Value: v, Expiration: versionTTL})
	if errors.Is(err, memcache.ErrNotStored) {
		return "", nil
	}
	if err != nil {
		return "", unavailable("start account version", err)
	}
	return string(v), nil
}

// newVersion is 128 random bits, hex: never the same twice, so that a version
// evicted and started again never matches a copy kept under the old one.
func newVersion() []byte {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	return []byte(hex.EncodeToString(b[:]))
}

// MarkSeeded sets every server's marker: from now on each server is trusted
// until it loses its entries.
func (d *Denylist) MarkSeeded(context.Context) error {
	for _, key := range d.markers {
		if err := d.client.Set(&memcache.Item{Key: key, Value: []byte("1")}); err != nil {
			return unavailable("mark seeded", err)
		}
	}
	return nil
}

// Ping checks that every server answers.
func (d *Denylist) Ping(context.Context) error {
	if err := d.client.Ping(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close releases idle connections.
func (d *Denylist) Close() error { return d.client.Close() }

// expiration is memcached's expiry: seconds (rounded up) below 30 days, else
// an absolute unix time, as the protocol demands.
func expiration(ttl time.Duration, until time.Time) int32 {
	secs := math.Ceil(ttl.Seconds())
	if secs < 30*24*3600 {
		return int32(secs)
	}
	return int32(until.Unix())
}

// getMulti is the client's GetMulti, asked once more when it timed out: a
// read changes nothing, and one stall of the network or of a loaded machine
// (seen once in a CI soak: a revocation check on loopback waited past the 500
// ms timeout) should not fail the request. The client drops a connection that
// timed out, so the second ask goes on another. A server that is down refuses
// at once; one that stays silent fails the second ask too.
func getMulti(c *memcache.Client, keys []string) (map[string]*memcache.Item, error) {
	items, err := c.GetMulti(keys)
	if err != nil && timedOut(err) {
		items, err = c.GetMulti(keys)
	}
	return items, err
}

// timedOut reports whether err is the client's timeout, connecting or on a
// connection.
func timedOut(err error) bool {
	var connect *memcache.ConnectTimeoutError
	var ne net.Error
	return errors.As(err, &connect) || errors.As(err, &ne) && ne.Timeout()
}

func unavailable(op string, err error) error {
	return domain.WrapUnavailable(fmt.Errorf("memcached: %s: %w", op, err))
}

// connect makes a client of cfg's servers (named by variable in errors); it
// dials lazily, so servers that are down do not stop authd from starting.
func connect(cfg Config, variable string) (*memcache.Client, *memcache.ServerList, string, error) {
	if len(cfg.Servers) == 0 {
		return nil, nil, "", errors.New("memcached: " + variable + " is empty")
	}
	ss := new(memcache.ServerList)
	if err := ss.SetServers(cfg.Servers...); err != nil {
		return nil, nil, "", fmt.Errorf("memcached: %s: %w", variable, err)
	}
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = "authd:"
	}
	client := memcache.NewFromSelector(ss)
	client.Timeout = cfg.Timeout
	if client.Timeout == 0 {
		client.Timeout = 500 * time.Millisecond
	}
	client.MaxIdleConns = 64
	return client, ss, prefix, nil
}
