package test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"authd/adapters/memcached"
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
