package test

import (
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
	contract.TokenDenylist(t, func(t *testing.T) contract.DenylistHarness {
		clock := &manualClock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
		return contract.DenylistHarness{Denylist: memory.NewDenylist(clock), Advance: clock.Advance, Now: clock.Now}
	})
}
