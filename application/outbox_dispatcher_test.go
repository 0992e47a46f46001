package application

import (
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"authd/domain"
)

func TestOutboxDispatcher(t *testing.T) {
	setup := func() (*memStore, *fakeMailer, *fakeClock, *OutboxDispatcher) {
		st, mailer, clock := newStore(), &fakeMailer{}, newClock()
		d := NewOutboxDispatcher(outboxRepo{st}, mailer, clock, DispatcherConfig{BaseBackoff: time.Second, MaxBackoff: 4 * time.Second, MaxAge: time.Hour},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		return st, mailer, clock, d
	}
	enqueue := func(st *memStore, id string, now time.Time) {
		outboxRepo{st}.Enqueue(ctx, domain.Message{ID: id, To: domain.MustEmail("a@example.com"), Subject: "s", Text: "t"}, now)
	}

	t.Run("delivers queued mail once", func(t *testing.T) {
		st, mailer, _, d := setup()
		enqueue(st, "m1", t0)
		enqueue(st, "m2", t0)
		if n, err := d.DispatchOnce(ctx); n != 2 || err != nil {
			t.Fatalf("claimed %d, %v", n, err)
		}
		d.DispatchOnce(ctx)
		if len(mailer.sent) != 2 || !st.sent["m1"] || !st.sent["m2"] {
			t.Fatalf("sent %v", mailer.sent)
		}
	})

	t.Run("retries with doubling backoff until the mailer is back", func(t *testing.T) {
		st, mailer, clock, d := setup()
		enqueue(st, "m1", t0)
		mailer.failing = errors.New("smtp down")
		var waits []time.Duration
		for range 4 {
			d.DispatchOnce(ctx)
			m := st.messages()[0]
			waits = append(waits, m.NextAttemptAt.Sub(clock.Now()))
			if n, _ := d.DispatchOnce(ctx); n != 0 {
				t.Fatal("claimed again before its backoff passed")
			}
			clock.Advance(m.NextAttemptAt.Sub(clock.Now()))
		}
		if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}; !slices.Equal(waits, want) {
			t.Fatalf("backoff %v, want %v", waits, want)
		}
		mailer.failing = nil
		d.DispatchOnce(ctx)
		if len(mailer.sent) != 1 || !st.sent["m1"] {
			t.Fatal("not delivered after recovery")
		}
	})

	t.Run("gives up after the maximum age and keeps delivering the rest", func(t *testing.T) {
		st, mailer, clock, d := setup()
		enqueue(st, "old", t0)
		mailer.failing = errors.New("smtp down")
		d.DispatchOnce(ctx)
		clock.Advance(time.Hour)
		mailer.failing = errors.New("mailbox unavailable")
		d.DispatchOnce(ctx)
		if !st.dead["old"] {
			t.Fatal("not dead after max age")
		}
		mailer.failing = nil
		enqueue(st, "new", clock.Now())
		d.DispatchOnce(ctx)
		if len(mailer.sent) != 1 || mailer.sent[0].ID != "new" {
			t.Fatalf("sent %v", mailer.sent)
		}
	})
}
