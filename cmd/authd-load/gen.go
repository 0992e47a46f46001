package main

import (
	"context"
	"slices"
	"sync"
	"time"
)

// cell is the outcome of one closed-loop run.
type cell struct {
	requests int
	all      int // warm-up and tail included, for the CPU per request
	errors   int
	elapsed  time.Duration
	p50, p99 time.Duration
}

// rps is the rate of answered requests, errors included.
func (c cell) rps() float64 {
	if c.elapsed <= 0 {
		return 0
	}
	return float64(c.requests) / c.elapsed.Seconds()
}

// closedLoop runs c workers, each sending one request at a time (do(w), which
// reports whether the answer was the expected one) for warmup, unrecorded, and
// then for d, recorded.
func closedLoop(ctx context.Context, c int, warmup, d time.Duration, do func(w int) bool) cell {
	start := time.Now()
	recordFrom := start.Add(warmup)
	stop := recordFrom.Add(d)
	lats := make([][]time.Duration, c)
	errs := make([]int, c)
	alls := make([]int, c)
	var wg sync.WaitGroup
	for w := range c {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(stop) {
					break
				}
				ok := do(w)
				alls[w]++
				if t0.Before(recordFrom) {
					continue
				}
				lat = append(lat, time.Since(t0))
				if !ok {
					errs[w]++
				}
			}
			lats[w] = lat
		})
	}
	wg.Wait()
	// The rate is of requests started in the recorded window, over its length:
	// in a closed loop as many start as end per second. (Dividing by the time
	// until the last answer would count the window's tail, a whole request
	// long, as idle: a cell of 1 s requests at c=64 would read 30% slow.)
	elapsed := min(time.Since(recordFrom), d)
	var all []time.Duration
	out := cell{elapsed: elapsed}
	for w := range c {
		all = append(all, lats[w]...)
		out.errors += errs[w]
		out.all += alls[w]
	}
	out.requests = len(all)
	if len(all) > 0 {
		slices.Sort(all)
		out.p50 = all[len(all)*50/100]
		out.p99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return out
}
