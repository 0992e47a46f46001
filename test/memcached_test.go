package test

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"authd/adapters/memcached"
	"authd/domain"
	"authd/test/contract"
)

var prefixes atomic.Int64

func TestMemcachedDenylist(t *testing.T) {
	addr := sharedMemcached(t)
	contract.TokenDenylist(t, func(t *testing.T) contract.DenylistHarness {
		clock := &manualClock{now: time.Now().UTC()}
		prefix := fmt.Sprintf("t%d-%d:", time.Now().UnixNano(), prefixes.Add(1))
		d, err := memcached.NewDenylist(memcached.Config{Servers: []string{addr}, Prefix: prefix}, clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return contract.DenylistHarness{
			Denylist: d,
			Now:      clock.Now,
			Advance:  clock.Advance,
			Lose:     func() { flush(t, addr) },
		}
	})
}

// Account versions live beside the denylist: read in the same round trip as
// a revocation check, started only where none exists, changed by every bump,
// and lost (never reused) with the server's data.
func TestMemcachedAccountVersions(t *testing.T) {
	addr := sharedMemcached(t)
	ctx := t.Context()
	prefix := fmt.Sprintf("v%d-%d:", time.Now().UnixNano(), prefixes.Add(1))
	d, err := memcached.NewDenylist(memcached.Config{Servers: []string{addr}, Prefix: prefix}, &manualClock{now: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.MarkSeeded(ctx); err != nil {
		t.Fatal(err)
	}
	version := func() string {
		t.Helper()
		revoked, v, err := d.ContainsForUser(ctx, "s1", "u1")
		if err != nil || revoked {
			t.Fatalf("ContainsForUser: %v, %v", revoked, err)
		}
		return v
	}
	if v := version(); v != "" {
		t.Fatalf("a new account has version %q; want none", v)
	}
	started, err := d.Start(ctx, "u1")
	if err != nil || started == "" || version() != started {
		t.Fatalf("Start: %q, %v; then read %q", started, err, version())
	}
	if again, err := d.Start(ctx, "u1"); err != nil || again != "" || version() != started {
		t.Fatalf("Start over an existing version: %q, %v, now %q; want \"\" and the version kept", again, err, version())
	}
	if err := d.Bump(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	bumped := version()
	if bumped == "" || bumped == started {
		t.Fatalf("after Bump the version is %q (was %q); want a new one", bumped, started)
	}
	if _, other, _ := d.ContainsForUser(ctx, "s1", "u2"); other != "" {
		t.Fatalf("another account has version %q; want none", other)
	}
	if err := d.Add(ctx, domain.Revocation{SessionID: "s1", AccessUntil: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if revoked, v, err := d.ContainsForUser(ctx, "s1", "u1"); err != nil || !revoked || v != bumped {
		t.Fatalf("revoked session: %v, %q, %v; want revoked with the version", revoked, v, err)
	}
}

// With two servers, an account's version may live on another server than
// the session's entry: that server being down must not fail the revocation
// check, only leave the account without a version.
func TestMemcachedAccountVersionOnADownServer(t *testing.T) {
	addr := sharedMemcached(t)
	down := closedAddr(t)
	ctx := t.Context()
	prefix := fmt.Sprintf("w%d-%d:", time.Now().UnixNano(), prefixes.Add(1))
	d, err := memcached.NewDenylist(memcached.Config{Servers: []string{addr, down}, Prefix: prefix, Timeout: 2 * time.Second}, &manualClock{now: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	var ss memcache.ServerList
	if err := ss.SetServers(addr, down); err != nil {
		t.Fatal(err)
	}
	on := func(key string) string {
		a, err := ss.PickServer(key)
		if err != nil {
			t.Fatal(err)
		}
		return a.String()
	}
	var live string
	_ = ss.Each(func(a net.Addr) error {
		if live == "" {
			live = a.String() // addr: the first server
		}
		return nil
	})
	for i := range 100 { // every marker of the live server
		if k := prefix + "seeded:" + fmt.Sprint(i); on(k) == live {
			if err := memcache.New(addr).Set(&memcache.Item{Key: k, Value: []byte("1")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var sid domain.SessionID
	var uid domain.UserID
	for i := 0; sid == "" || uid == ""; i++ {
		if on(prefix+"rv:s"+fmt.Sprint(i)) == live {
			sid = domain.SessionID("s" + fmt.Sprint(i))
		}
		if on(prefix+"av:u"+fmt.Sprint(i)) != live {
			uid = domain.UserID("u" + fmt.Sprint(i))
		}
	}
	if err := d.Add(ctx, domain.Revocation{SessionID: sid, AccessUntil: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	revoked, v, err := d.ContainsForUser(ctx, sid, uid)
	if err != nil || !revoked || v != "" {
		t.Fatalf("ContainsForUser with the version's server down: %v, %q, %v; want the revocation and no version", revoked, v, err)
	}
}

// A revocation check that times out is asked once more, on another
// connection: one stall does not fail the request. A server that stays silent
// still fails it, as unavailable.
func TestMemcachedReadAskedAgainAfterATimeout(t *testing.T) {
	addr := sharedMemcached(t)
	ctx := t.Context()
	prefix := fmt.Sprintf("x%d-%d:", time.Now().UnixNano(), prefixes.Add(1))
	proxy := startTCPProxy(t, "127.0.0.1:0", addr)
	d, err := memcached.NewDenylist(memcached.Config{Servers: []string{proxy.addr}, Prefix: prefix, Timeout: 300 * time.Millisecond},
		&manualClock{now: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.MarkSeeded(ctx); err != nil {
		t.Fatal(err)
	}
	sid := domain.SessionID("stalled")
	if err := d.Add(ctx, domain.Revocation{SessionID: sid, AccessUntil: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	proxy.stallNext.Store(true)
	revoked, err := d.Contains(ctx, sid)
	if proxy.stallNext.Load() {
		t.Fatal("no request was held: the test proves nothing")
	}
	if err != nil || !revoked {
		t.Fatalf("Contains after one stalled read: %v, %v; want the revocation", revoked, err)
	}

	proxy.stallAll.Store(true)
	if _, err := d.Contains(ctx, sid); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Contains on a silent server: %v, want unavailable", err)
	}
	proxy.stallAll.Store(false)
	if revoked, err := d.Contains(ctx, sid); err != nil || !revoked {
		t.Fatalf("Contains once the server answers again: %v, %v", revoked, err)
	}
}

// closedAddr is a loopback address where nothing listens (connections are refused).
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

func flush(t *testing.T, addr string) {
	if err := memcache.New(addr).FlushAll(); err != nil {
		t.Fatal(err)
	}
}

func TestMemcachedCounters(t *testing.T) {
	addr := sharedMemcached(t)
	contract.AbuseCounters(t, func(t *testing.T) contract.CountersHarness {
		clock := &manualClock{now: time.Now().UTC()}
		prefix := fmt.Sprintf("c%d-%d:", time.Now().UnixNano(), prefixes.Add(1))
		c, err := memcached.NewCounters(memcached.Config{Servers: []string{addr}, Prefix: prefix}, clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return contract.CountersHarness{Counters: c, Now: clock.Now}
	})
}
