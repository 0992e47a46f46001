package contract

import (
	"context"
	"errors"
	"testing"
	"time"

	"authd/domain"
	"authd/ports"
)

// DenylistHarness gives the denylist suite one fresh store and a way to move its time.
type DenylistHarness struct {
	Denylist ports.TokenDenylist
	// Advance moves the clock the denylist judges expiry by.
	Advance func(time.Duration)
	// Now is that clock's time.
	Now func() time.Time
	// Lose makes the store forget everything, as a restarted server would (nil
	// when the adapter cannot; the process-local one loses entries only with the process).
	Lose func()
}

// TokenDenylist is the conformance suite of ports.TokenDenylist.
func TokenDenylist(t *testing.T, newHarness func(t *testing.T) DenylistHarness) {
	ctx := context.Background()
	seeded := func(t *testing.T) DenylistHarness {
		h := newHarness(t)
		if err := h.Denylist.MarkSeeded(ctx); err != nil {
			t.Fatal(err)
		}
		return h
	}
	contains := func(t *testing.T, h DenylistHarness, id domain.SessionID) bool {
		t.Helper()
		ok, err := h.Denylist.Contains(ctx, id)
		if err != nil {
			t.Fatalf("Contains(%s): %v", id, err)
		}
		return ok
	}

	t.Run("a fresh store is stale until it is seeded", func(t *testing.T) {
		h := newHarness(t)
		if _, err := h.Denylist.Contains(ctx, "s1"); !errors.Is(err, ports.ErrDenylistStale) {
			t.Fatalf("got %v, want ErrDenylistStale", err)
		}
		if err := h.Denylist.MarkSeeded(ctx); err != nil {
			t.Fatal(err)
		}
		if contains(t, h, "s1") {
			t.Fatal("unknown session reported revoked")
		}
	})

	t.Run("holds a revocation until its access tokens expire", func(t *testing.T) {
		h := seeded(t)
		if err := h.Denylist.Add(ctx, domain.Revocation{SessionID: "s1", AccessUntil: h.Now().Add(15 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if !contains(t, h, "s1") || contains(t, h, "s2") {
			t.Fatal("wrong membership")
		}
		h.Advance(16 * time.Minute)
		if contains(t, h, "s1") {
			t.Fatal("revocation kept past the access token lifetime")
		}
	})

	t.Run("adds many revocations at once and keeps the later expiry of a repeated id", func(t *testing.T) {
		h := seeded(t)
		now := h.Now()
		err := h.Denylist.Add(ctx,
			domain.Revocation{SessionID: "a", AccessUntil: now.Add(time.Hour)},
			domain.Revocation{SessionID: "b", AccessUntil: now.Add(time.Hour)},
		)
		if err == nil {
			err = h.Denylist.Add(ctx, domain.Revocation{SessionID: "a", AccessUntil: now.Add(2 * time.Hour)})
		}
		if err != nil {
			t.Fatal(err)
		}
		h.Advance(90 * time.Minute)
		if !contains(t, h, "a") || contains(t, h, "b") {
			t.Fatal("wrong membership after 90 minutes")
		}
	})

	t.Run("ContainsForUser judges the session as Contains does", func(t *testing.T) {
		h := newHarness(t)
		if _, _, err := h.Denylist.ContainsForUser(ctx, "s1", "u1"); !errors.Is(err, ports.ErrDenylistStale) {
			t.Fatalf("unseeded: got %v, want ErrDenylistStale", err)
		}
		if err := h.Denylist.MarkSeeded(ctx); err != nil {
			t.Fatal(err)
		}
		if err := h.Denylist.Add(ctx, domain.Revocation{SessionID: "s1", AccessUntil: h.Now().Add(15 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[domain.SessionID]bool{"s1": true, "s2": false} {
			if revoked, _, err := h.Denylist.ContainsForUser(ctx, id, "u1"); err != nil || revoked != want {
				t.Errorf("ContainsForUser(%s): %v, %v; want %v", id, revoked, err, want)
			}
		}
		h.Advance(16 * time.Minute)
		if revoked, _, err := h.Denylist.ContainsForUser(ctx, "s1", "u1"); err != nil || revoked {
			t.Errorf("expired revocation: %v, %v; want not revoked", revoked, err)
		}
	})

	t.Run("adding nothing is fine", func(t *testing.T) {
		if err := seeded(t).Denylist.Add(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("answers a ping", func(t *testing.T) {
		if err := newHarness(t).Denylist.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})

	// Only stores that can lose entries while the process lives (a shared server)
	// run this; a process-local store loses them only with the process, which
	// the fresh-store case covers.
	if newHarness(t).Lose == nil {
		return
	}
	t.Run("reports itself stale after losing its entries", func(t *testing.T) {
		h := seeded(t)
		h.Denylist.Add(ctx, domain.Revocation{SessionID: "s1", AccessUntil: h.Now().Add(time.Hour)})
		h.Lose()
		if _, err := h.Denylist.Contains(ctx, "s1"); !errors.Is(err, ports.ErrDenylistStale) {
			t.Fatalf("got %v, want ErrDenylistStale", err)
		}
		if _, _, err := h.Denylist.ContainsForUser(ctx, "s1", "u1"); !errors.Is(err, ports.ErrDenylistStale) {
			t.Fatalf("ContainsForUser: got %v, want ErrDenylistStale", err)
		}
	})
}
