package window

import (
	"time"

	"authd/ports"
)

// bucketsPerWindow is how finely a window is cut: an event counts for between
// the window's length and one fifteenth more.
const bucketsPerWindow = 15

// Layout is how one window length is cut into buckets.
type Layout struct {
	Width time.Duration // of one bucket, whole seconds, at least one
	N     int64         // buckets that count at any moment, the current one included
}

// For returns the layout of a window of length window (which must be positive).
func For(window time.Duration) Layout {
	w := window / bucketsPerWindow
	w = (w + time.Second - 1) / time.Second * time.Second
	w = max(w, time.Second)
	n := int64((window + w - 1) / w)
	return Layout{Width: w, N: n + 1}
}

// Index is the bucket that t falls in.
func (l Layout) Index(t time.Time) int64 {
	ns := t.UnixNano()
	w := int64(l.Width)
	if ns < 0 {
		return (ns - w + 1) / w
	}
	return ns / w
}

// Counted returns the first and last bucket that count at now.
func (l Layout) Counted(now time.Time) (first, last int64) {
	cur := l.Index(now)
	return cur - l.N + 1, cur
}

// Leaves is when the events of bucket b stop counting.
func (l Layout) Leaves(b int64) time.Time {
	return time.Unix(0, (b+l.N)*int64(l.Width)).UTC()
}

// TTL is how long a store must keep a bucket so that it lives as long as it counts.
func (l Layout) TTL() time.Duration { return time.Duration(l.N+1) * l.Width }

// Window turns the counts of buckets first..first+len(counts)-1 (as Counted
// returned, oldest first) into the window they make.
func (l Layout) Window(first int64, counts []int) ports.Window {
	var w ports.Window
	for i, n := range counts {
		if n <= 0 {
			continue
		}
		w.Count += n
		w.Leaving = append(w.Leaving, ports.Departure{At: l.Leaves(first + int64(i)), N: n})
	}
	return w
}
