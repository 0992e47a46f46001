package ports

import (
	"context"
	"time"
)

// AbuseCounters is the store behind the abuse limits: sliding-window event
// counters and once-per-window markers, shared by every instance (memcached)
// or held in process (the embedded default). Every operation is atomic on the
// store, so parallel requests on any number of instances never count past a
// limit. Every method returns an error wrapping domain.ErrUnavailable when the
// store does not answer; the guarded endpoints then fail closed.
type AbuseCounters interface {
	// Hit adds one event at now to key's window of the given length and returns
	// the window right after it, this event included.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (Window, error)
	// Unhit takes back one event that Hit added at at: an attempt that was refused
	// or turned out fine is not a failure.
	Unhit(ctx context.Context, key string, window time.Duration, at time.Time) error
	// Clear forgets every event of key in its window at now.
	Clear(ctx context.Context, key string, window time.Duration, now time.Time) error
	// First reports true for the first call with key within ttl and false for
	// every other call until ttl has passed (a notice sent once per window).
	First(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Ping reports whether the store answers (for /readyz).
	Ping(ctx context.Context) error
}

// Window is a sliding-window count: how many events are in it, and when they
// leave it.
type Window struct {
	Count int
	// Leaving lists, oldest first, when counted events stop counting and how
	// many leave then; the Ns add up to Count.
	Leaving []Departure
}

// Departure is a group of events that leave a window at the same moment.
type Departure struct {
	At time.Time
	N  int
}

// Over reports whether the window holds more than limit events.
func (w Window) Over(limit int) bool { return w.Count > limit }

// RetryAfter is, for a window that Hit found over limit, how long from now
// until the same hit would be accepted: until enough of the oldest events have
// left that the count is back at limit. Zero when it already is.
func (w Window) RetryAfter(limit int, now time.Time) time.Duration {
	left := w.Count
	for _, d := range w.Leaving {
		if left <= limit {
			break
		}
		left -= d.N
		if left <= limit {
			return max(d.At.Sub(now), 0)
		}
	}
	return 0
}
