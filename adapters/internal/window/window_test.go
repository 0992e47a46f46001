package window

import (
	"testing"
	"time"
)

func TestLayoutCountsAnEventForAtLeastTheWindowAndAtMostOneBucketMore(t *testing.T) {
	for _, window := range []time.Duration{time.Second, 3 * time.Second, 15 * time.Minute, time.Hour, 7 * time.Second} {
		l := For(window)
		if l.Width < time.Second || l.Width%time.Second != 0 {
			t.Fatalf("%s: width %s is not whole seconds", window, l.Width)
		}
		base := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
		for off := time.Duration(0); off < 2*l.Width; off += l.Width / 7 {
			at := base.Add(off)
			lived := l.Leaves(l.Index(at)).Sub(at)
			if lived < window || lived > window+l.Width {
				t.Fatalf("%s: an event at +%s counts for %s, want between %s and %s", window, off, lived, window, window+l.Width)
			}
			first, last := l.Counted(at.Add(lived - time.Nanosecond))
			if b := l.Index(at); b < first || b > last {
				t.Fatalf("%s: the event's bucket no longer counts just before it leaves", window)
			}
			if first, _ := l.Counted(at.Add(lived)); l.Index(at) >= first {
				t.Fatalf("%s: the event's bucket still counts when it has left", window)
			}
		}
	}
}

func TestWindowListsDeparturesOldestFirst(t *testing.T) {
	l := For(15 * time.Minute)
	w := l.Window(100, []int{2, 0, 3})
	if w.Count != 5 || len(w.Leaving) != 2 || w.Leaving[0].N != 2 || !w.Leaving[0].At.Before(w.Leaving[1].At) {
		t.Fatalf("window = %+v", w)
	}
}
