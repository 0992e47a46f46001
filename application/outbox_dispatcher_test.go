package application

import (
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"authd/application/fakes"
	"authd/domain"
)

func TestOutboxDispatcher(t *testing.T) {
	t.Parallel()
	setup := func() (*fakes.Store, *fakes.Mailer, *fakes.Clock, *OutboxDispatcher) {
		st, mailer, clock := fakes.NewStore(), &fakes.Mailer{}, fakes.NewClock(t0)
		d := NewOutboxDispatcher(st.Outbox(), mailer, clock, DispatcherConfig{BaseBackoff: time.Second, MaxBackoff: 4 * time.Second, MaxAge: time.Hour},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		return st, mailer, clock, d
	}
	row := func(st *fakes.Store, id string) fakes.OutboxState {
		for _, r := range st.OutboxRows() {
			if r.ID == id {
				return r
			}
		}
		return fakes.OutboxState{}
	}
	enqueue := func(st *fakes.Store, id string, now time.Time) {
		st.Outbox().Enqueue(ctx, domain.Message{ID: id, To: domain.MustEmail("a@example.com"), Subject: "s", Text: "t"}, now)
	}

	t.Run("delivers queued mail once", func(t *testing.T) {
		st, mailer, _, d := setup()
		enqueue(st, "m1", t0)
		enqueue(st, "m2", t0)
		if n, err := d.DispatchOnce(ctx); n != 2 || err != nil {
			t.Fatalf("claimed %d, %v", n, err)
		}
		d.DispatchOnce(ctx)
		if len(mailer.Sent()) != 2 || !row(st, "m1").Sent || !row(st, "m2").Sent {
			t.Fatalf("sent %v", mailer.Sent())
		}
	})

	t.Run("retries with doubling backoff until the mailer is back", func(t *testing.T) {
		st, mailer, clock, d := setup()
		enqueue(st, "m1", t0)
		mailer.Fail(errors.New("smtp down"))
		var waits []time.Duration
		for range 4 {
			d.DispatchOnce(ctx)
			m := st.OutboxRows()[0]
			waits = append(waits, m.NextAttemptAt.Sub(clock.Now()))
			if n, _ := d.DispatchOnce(ctx); n != 0 {
				t.Fatal("claimed again before its backoff passed")
			}
			clock.Advance(m.NextAttemptAt.Sub(clock.Now()))
		}
		if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}; !slices.Equal(waits, want) {
			t.Fatalf("backoff %v, want %v", waits, want)
		}
		mailer.Fail(nil)
		d.DispatchOnce(ctx)
		if len(mailer.Sent()) != 1 || !row(st, "m1").Sent {
			t.Fatal("not delivered after recovery")
		}
	})

	t.Run("gives up after the maximum age and keeps delivering the rest", func(t *testing.T) {
		st, mailer, clock, d := setup()
		enqueue(st, "old", t0)
		mailer.Fail(errors.New("smtp down"))
		d.DispatchOnce(ctx)
		clock.Advance(time.Hour)
		mailer.Fail(errors.New("mailbox unavailable"))
		d.DispatchOnce(ctx)
		if !row(st, "old").Dead {
			t.Fatal("not dead after max age")
		}
		mailer.Fail(nil)
		enqueue(st, "new", clock.Now())
		d.DispatchOnce(ctx)
		if len(mailer.Sent()) != 1 || mailer.Sent()[0].ID != "new" {
			t.Fatalf("sent %v", mailer.Sent())
		}
	})
}
