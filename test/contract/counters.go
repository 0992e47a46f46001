package contract

import (
	"context"
	"sync"
	"testing"
	"time"

	"authd/ports"
)

// CountersHarness gives the abuse-counter suite one fresh store (its own key
// space) and the clock its once-per-window markers are judged by.
type CountersHarness struct {
	Counters ports.AbuseCounters
	Now      func() time.Time
	Advance  func(time.Duration)
}

// AbuseCounters is the conformance suite of ports.AbuseCounters.
func AbuseCounters(t *testing.T, newHarness func(t *testing.T) CountersHarness) {
	ctx := context.Background()
	const win = 15 * time.Minute
	hit := func(t *testing.T, c ports.AbuseCounters, key string, now time.Time) ports.Window {
		t.Helper()
		w, err := c.Hit(ctx, key, win, now)
		if err != nil {
			t.Fatalf("Hit(%s): %v", key, err)
		}
		return w
	}

	t.Run("hits are counted within the window, each one included", func(t *testing.T) {
		h := newHarness(t)
		now := h.Now()
		for i := 1; i <= 5; i++ {
			if w := hit(t, h.Counters, "k", now.Add(time.Duration(i)*time.Second)); w.Count != i {
				t.Fatalf("hit %d: count %d", i, w.Count)
			}
		}
	})

	t.Run("keys and window lengths count apart", func(t *testing.T) {
		h := newHarness(t)
		now := h.Now()
		hit(t, h.Counters, "a", now)
		hit(t, h.Counters, "a", now)
		if w := hit(t, h.Counters, "b", now); w.Count != 1 {
			t.Fatalf("b counted %d", w.Count)
		}
		w, err := h.Counters.Hit(ctx, "a", time.Hour, now)
		if err != nil || w.Count != 1 {
			t.Fatalf("a in an hour window: %d %v", w.Count, err)
		}
	})

	t.Run("an event stops counting once the window has passed, not before", func(t *testing.T) {
		h := newHarness(t)
		start := h.Now()
		first := hit(t, h.Counters, "k", start)
		if len(first.Leaving) != 1 || first.Leaving[0].N != 1 {
			t.Fatalf("leaving = %+v", first.Leaving)
		}
		leaves := first.Leaving[0].At
		if leaves.Before(start.Add(win)) || leaves.After(start.Add(win+win/10)) {
			t.Fatalf("an event at %s leaves at %s: want within a bucket after the window", start, leaves)
		}
		if w := hit(t, h.Counters, "k", start.Add(win-time.Second)); w.Count != 2 {
			t.Fatalf("just inside the window: count %d, want 2", w.Count)
		}
		if w := hit(t, h.Counters, "k", leaves); w.Count != 2 {
			t.Fatalf("after the first left: count %d, want 2 (the second and this one)", w.Count)
		}
	})

	t.Run("retry-after is the time until the count is back at the limit", func(t *testing.T) {
		h := newHarness(t)
		start := h.Now()
		var ws []ports.Window
		for i := range 4 {
			ws = append(ws, hit(t, h.Counters, "k", start.Add(time.Duration(i)*2*time.Minute)))
		}
		last := ws[3]
		if !last.Over(3) || last.Over(4) {
			t.Fatalf("count %d: over(3)=%v over(4)=%v", last.Count, last.Over(3), last.Over(4))
		}
		now := start.Add(7 * time.Minute)
		got := last.RetryAfter(3, now)
		if want := ws[0].Leaving[0].At.Sub(now); got != want {
			t.Fatalf("retry after %s, want %s (when the oldest leaves)", got, want)
		}
		if again := hit(t, h.Counters, "k", now.Add(got)); again.Count != 4 {
			t.Fatalf("at retry-after the window holds %d, want 4 (3 + this one)", again.Count)
		}
	})

	t.Run("unhit takes back a hit", func(t *testing.T) {
		h := newHarness(t)
		now := h.Now()
		hit(t, h.Counters, "k", now)
		hit(t, h.Counters, "k", now)
		if err := h.Counters.Unhit(ctx, "k", win, now); err != nil {
			t.Fatal(err)
		}
		if w := hit(t, h.Counters, "k", now); w.Count != 2 {
			t.Fatalf("count %d after a hit was taken back, want 2", w.Count)
		}
		if err := h.Counters.Unhit(ctx, "never-hit", win, now); err != nil {
			t.Fatalf("unhit of an unknown key: %v", err)
		}
	})

	t.Run("clear forgets every event of the key only", func(t *testing.T) {
		h := newHarness(t)
		now := h.Now()
		hit(t, h.Counters, "k", now.Add(-5*time.Minute))
		hit(t, h.Counters, "k", now)
		hit(t, h.Counters, "other", now)
		if err := h.Counters.Clear(ctx, "k", win, now); err != nil {
			t.Fatal(err)
		}
		if w := hit(t, h.Counters, "k", now); w.Count != 1 {
			t.Fatalf("count %d after clear, want 1", w.Count)
		}
		if w := hit(t, h.Counters, "other", now); w.Count != 2 {
			t.Fatalf("other key: %d, want 2", w.Count)
		}
	})

	t.Run("parallel hits each see a distinct count, so exactly the limit pass", func(t *testing.T) {
		h := newHarness(t)
		now := h.Now()
		const n, limit = 20, 10
		var mu sync.Mutex
		seen := map[int]bool{}
		passed := 0
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				w, err := h.Counters.Hit(ctx, "race", win, now)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if seen[w.Count] {
					t.Errorf("count %d seen twice", w.Count)
				}
				seen[w.Count] = true
				if !w.Over(limit) {
					passed++
				}
			})
		}
		wg.Wait()
		if passed != limit {
			t.Fatalf("%d of %d parallel hits were within the limit of %d", passed, n, limit)
		}
	})

	t.Run("first is true once per ttl", func(t *testing.T) {
		h := newHarness(t)
		first := func() bool {
			t.Helper()
			ok, err := h.Counters.First(ctx, "notice", 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !first() {
			t.Fatal("the first call is not first")
		}
		if first() {
			t.Fatal("the second call within the ttl is first too")
		}
		if ok, err := h.Counters.First(ctx, "another", time.Minute); !ok || err != nil {
			t.Fatalf("another key: %v %v", ok, err)
		}
		if h.Advance == nil {
			return // memcached judges the ttl by its own clock: poll it
		}
		h.Advance(3 * time.Second)
		if !first() {
			t.Fatal("not first again after the ttl")
		}
	})

	t.Run("ping answers", func(t *testing.T) {
		if err := newHarness(t).Counters.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
