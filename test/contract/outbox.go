package contract

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"authd/domain"
)

// newMessage returns a message with a fresh id.
func newMessage(n int) domain.Message {
	return domain.Message{
		ID:      newID(),
		To:      domain.MustEmail(fmt.Sprintf("rcpt%d@example.com", n)),
		Subject: fmt.Sprintf("Message %d", n),
		Text:    "Open https://auth.example.com/reset-password?token=secret to continue.",
		HTML:    "<p>Open <a href=\"https://auth.example.com/reset-password?token=secret\">the link</a>.</p>",
	}
}

// enqueue stores a new message at now and returns it.
func enqueue(t *testing.T, st Store, n int, now time.Time) domain.Message {
	t.Helper()
	m := newMessage(n)
	must(t, st.Outbox.Enqueue(ctx(t), m, now), "enqueue")
	return m
}

// claimIDs claims at now and returns the ids, in the order returned.
func claimIDs(t *testing.T, st Store, now time.Time, lease time.Duration, limit int) []string {
	t.Helper()
	ms, err := st.Outbox.Claim(ctx(t), now, lease, limit)
	must(t, err, "claim")
	return msgIDs(ms)
}

func msgIDs(ms []domain.OutboxMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// Outbox checks an implementation of ports.Outbox.
func Outbox(t *testing.T, newStore func(t *testing.T) Store) {
	const lease = time.Minute

	t.Run("an enqueued message is claimed with its content", func(t *testing.T) {
		st := newStore(t)
		now := base.Add(17 * time.Millisecond).In(elsewhere)
		m := enqueue(t, st, 1, now)

		got, err := st.Outbox.Claim(ctx(t), now, lease, 10)
		must(t, err, "claim")
		if len(got) != 1 {
			t.Fatalf("claimed %d messages, want 1", len(got))
		}
		g := got[0]
		if g.Message != m {
			t.Errorf("claimed message = %+v\nwant              %+v", g.Message, m)
		}
		if g.Attempts != 0 || g.LastError != "" {
			t.Errorf("fresh message has %d attempts and last error %q", g.Attempts, g.LastError)
		}
		sameTime(t, "CreatedAt", g.CreatedAt, now)
		sameTime(t, "NextAttemptAt", g.NextAttemptAt, now)
	})

	t.Run("a message without an id is given one", func(t *testing.T) {
		st := newStore(t)
		m := newMessage(1)
		m.ID = ""
		must(t, st.Outbox.Enqueue(ctx(t), m, base), "enqueue")
		got, err := st.Outbox.Claim(ctx(t), base, lease, 1)
		must(t, err, "claim")
		if len(got) != 1 || got[0].ID == "" {
			t.Fatalf("claimed %+v, want one message with an id", got)
		}
	})

	t.Run("a message is not claimed before it was enqueued", func(t *testing.T) {
		st := newStore(t)
		enqueue(t, st, 1, base)
		if got := claimIDs(t, st, base.Add(-time.Millisecond), lease, 10); len(got) != 0 {
			t.Fatalf("claimed %v before the message was due", got)
		}
	})

	t.Run("claim returns due messages oldest first, at most limit at a time", func(t *testing.T) {
		st := newStore(t)
		// Enqueue out of order so that the result order cannot come from insertion.
		m3 := enqueue(t, st, 3, base.Add(3*time.Second))
		m1 := enqueue(t, st, 1, base.Add(1*time.Second))
		m2 := enqueue(t, st, 2, base.Add(2*time.Second))
		now := base.Add(time.Minute)

		if got, want := claimIDs(t, st, now, lease, 2), []string{m1.ID, m2.ID}; !slices.Equal(got, want) {
			t.Fatalf("first claim = %v, want %v", got, want)
		}
		if got, want := claimIDs(t, st, now, lease, 2), []string{m3.ID}; !slices.Equal(got, want) {
			t.Fatalf("second claim = %v, want %v", got, want)
		}
		if got := claimIDs(t, st, now, lease, 2); len(got) != 0 {
			t.Fatalf("third claim = %v, want none", got)
		}
	})

	t.Run("a leased message is not claimed again until its lease has ended", func(t *testing.T) {
		st := newStore(t)
		m := enqueue(t, st, 1, base)
		if got := claimIDs(t, st, base, lease, 10); len(got) != 1 {
			t.Fatalf("first claim = %v, want one message", got)
		}
		if got := claimIDs(t, st, base.Add(lease-time.Second), lease, 10); len(got) != 0 {
			t.Fatalf("claim during the lease = %v, want none", got)
		}
		if got := claimIDs(t, st, base.Add(lease+time.Second), lease, 10); !slices.Equal(got, []string{m.ID}) {
			t.Fatalf("claim after the lease = %v, want [%s]", got, m.ID)
		}
	})

	t.Run("retry records the attempt and makes the message due again at the next time", func(t *testing.T) {
		st := newStore(t)
		m := enqueue(t, st, 1, base)
		claimIDs(t, st, base, time.Hour, 10)
		next := base.Add(5*time.Minute + 5*time.Millisecond)
		must(t, st.Outbox.Retry(ctx(t), m.ID, 1, next, "smtp: 421 try later"), "retry")

		if got := claimIDs(t, st, next.Add(-time.Second), lease, 10); len(got) != 0 {
			t.Fatalf("claim before the next attempt = %v, want none", got)
		}
		// The retry released the hour-long lease: the message is due at next.
		got, err := st.Outbox.Claim(ctx(t), next, lease, 10)
		must(t, err, "claim at next attempt")
		if len(got) != 1 || got[0].ID != m.ID {
			t.Fatalf("claim at next attempt = %v, want [%s]", msgIDs(got), m.ID)
		}
		if got[0].Attempts != 1 || got[0].LastError != "smtp: 421 try later" || got[0].Message != m {
			t.Errorf("retried message = %+v", got[0])
		}
		sameTime(t, "NextAttemptAt", got[0].NextAttemptAt, next)
		sameTime(t, "CreatedAt", got[0].CreatedAt, base)
	})

	t.Run("a sent message is never claimed again", func(t *testing.T) {
		st := newStore(t)
		m := enqueue(t, st, 1, base)
		claimIDs(t, st, base, lease, 10)
		must(t, st.Outbox.MarkSent(ctx(t), m.ID, base.Add(time.Second)), "mark sent")
		if got := claimIDs(t, st, base.Add(24*time.Hour), lease, 10); len(got) != 0 {
			t.Fatalf("claim after sending = %v, want none", got)
		}
	})

	t.Run("a dead message is never claimed again", func(t *testing.T) {
		st := newStore(t)
		m := enqueue(t, st, 1, base)
		claimIDs(t, st, base, lease, 10)
		must(t, st.Outbox.MarkDead(ctx(t), m.ID, base.Add(time.Second), "smtp: 550 no such user"), "mark dead")
		if got := claimIDs(t, st, base.Add(24*time.Hour), lease, 10); len(got) != 0 {
			t.Fatalf("claim after giving up = %v, want none", got)
		}
	})

	t.Run("two concurrent claimers never get the same message", func(t *testing.T) {
		st := newStore(t)
		const n = 30
		var want []string
		for i := range n {
			want = append(want, enqueue(t, st, i, base.Add(time.Duration(i)*time.Millisecond)).ID)
		}
		now := base.Add(time.Minute)

		var (
			mu   sync.Mutex
			seen = map[string]int{}
			errs []error
			wg   sync.WaitGroup
		)
		for range 2 {
			wg.Go(func() {
				for range n { // bounded, so a broken lease fails instead of looping
					got, err := st.Outbox.Claim(ctx(t), now, lease, 3)
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					}
					for _, m := range got {
						seen[m.ID]++
					}
					mu.Unlock()
					if err != nil || len(got) == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			t.Errorf("claim: %v", err)
		}
		for _, id := range want {
			if seen[id] != 1 {
				t.Errorf("message %s was claimed %d times, want once", id, seen[id])
			}
		}
	})
}
