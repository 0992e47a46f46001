package password

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// threadTimes returns the user CPU ticks of every thread of the process by
// its nice value.
func threadTimes(t *testing.T) map[int]int64 {
	t.Helper()
	dirs, err := filepath.Glob("/proc/self/task/*/stat")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int64{}
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue // the thread ended
		}
		f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:]) // after "pid (comm) "
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		nice, _ := strconv.Atoi(f[16])
		out[nice] += utime
	}
	return out
}

func TestHashingThreads(t *testing.T) {
	h := NewHasher(Config{})
	ctx := context.Background()
	if _, err := h.Hash(ctx, "warm up the pool"); err != nil {
		t.Fatal(err)
	}
	p := workers()
	if !p.lowered {
		t.Fatal("the system refused to lower the priority of a hashing thread")
	}

	t.Run("gives the runtime one more P per hashing thread", func(t *testing.T) {
		if got := runtime.GOMAXPROCS(0); got != 2*p.size {
			t.Fatalf("GOMAXPROCS %d with %d hashing threads", got, p.size)
		}
	})

	t.Run("runs each hash on a locked thread of the lowest priority", func(t *testing.T) {
		for range 4 {
			nice := -1
			if err := h.compute(ctx, func() {
				// getpriority(2) returns 20 - nice.
				if p, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid()); err == nil {
					nice = 20 - p
				}
			}); err != nil {
				t.Fatal(err)
			}
			if nice != lowestPriority {
				t.Fatalf("a hash ran at nice %d", nice)
			}
		}
	})

	t.Run("hashes on the threads of the lowest priority", func(t *testing.T) {
		before := threadTimes(t)
		for range 12 {
			if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
				t.Fatal(err)
			}
		}
		after := threadTimes(t)
		var low, all int64
		for nice, ticks := range after {
			d := ticks - before[nice]
			all += d
			if nice == lowestPriority {
				low += d
			}
		}
		// With x/crypto's goroutines about 3% of the ticks ran there; with the
		// copy most do (under the race detector, with other tests' processes
		// competing, as few as 40%: the runtime's own threads do the rest).
		if all == 0 || low*3 < all {
			t.Fatalf("%d of %d CPU ticks of hashing ran at nice %d: the work escaped the hashing threads", low, all, lowestPriority)
		}
	})
}
