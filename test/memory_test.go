package test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"authd/adapters/memory"
	"authd/test/contract"
)

// manualClock is a clock that tests move by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestMemoryDenylist(t *testing.T) {
	t.Parallel()
	contract.TokenDenylist(t, func(t *testing.T) contract.DenylistHarness {
		clock := &manualClock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
		return contract.DenylistHarness{Denylist: memory.NewDenylist(clock), Advance: clock.Advance, Now: clock.Now}
	})
}

func TestMemoryCounters(t *testing.T) {
	t.Parallel()
	contract.AbuseCounters(t, func(t *testing.T) contract.CountersHarness {
		clock := &manualClock{now: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
		return contract.CountersHarness{Counters: memory.NewCounters(clock, 0), Now: clock.Now, Advance: clock.Advance}
	})
}

func TestMemoryCountersAreBounded(t *testing.T) {
	t.Parallel()
	clock := &manualClock{now: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	c := memory.NewCounters(clock, 100)
	ctx := t.Context()
	if _, err := c.Hit(ctx, "victim", time.Hour, clock.Now()); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if _, err := c.Hit(ctx, fmt.Sprintf("spray-%d", i), time.Hour, clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.Len(); n != 100 {
		t.Fatalf("%d keys held, want the bound of 100", n)
	}
	if w, _ := c.Hit(ctx, "victim", time.Hour, clock.Now()); w.Count != 1 {
		t.Fatalf("the oldest key was not the one dropped: count %d", w.Count)
	}
	if w, _ := c.Hit(ctx, "spray-999", time.Hour, clock.Now()); w.Count != 2 {
		t.Fatalf("a recent key was dropped: count %d", w.Count)
	}
}
