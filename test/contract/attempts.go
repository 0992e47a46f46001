package contract

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"authd/domain"
)

// TokenAttempts checks the OTP parts of ports.OneTimeTokenRepository: Latest and
// the atomic try counter.
func TokenAttempts(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("latest is the newest usable token of the user and purpose", func(t *testing.T) {
		st := newStore(t)
		u, other := createUser(t, st), createUser(t, st)
		old := newToken(u.ID, domain.PurposeResetOTP)
		must(t, st.Tokens.Create(ctx(t), old), "create old")
		newer := newToken(u.ID, domain.PurposeResetOTP)
		newer.CreatedAt = base.Add(time.Second)
		must(t, st.Tokens.Create(ctx(t), newer), "create newer")
		createToken(t, st, u.ID, domain.PurposeResetLink)
		createToken(t, st, other.ID, domain.PurposeResetOTP)

		got, err := st.Tokens.Latest(ctx(t), u.ID, domain.PurposeResetOTP, base.Add(time.Minute))
		must(t, err, "latest")
		if got.ID != newer.ID {
			t.Fatalf("latest = %s, want the newer %s", got.ID, newer.ID)
		}
		must(t, st.Tokens.Void(ctx(t), u.ID, base.Add(time.Minute), domain.PurposeResetOTP), "void")
		_, err = st.Tokens.Latest(ctx(t), u.ID, domain.PurposeResetOTP, base.Add(time.Minute))
		wantErr(t, err, domain.ErrTokenNotFound, "latest after void")
	})

	t.Run("latest ignores expired tokens", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		createToken(t, st, u.ID, domain.PurposeResetOTP)
		_, err := st.Tokens.Latest(ctx(t), u.ID, domain.PurposeResetOTP, base.Add(time.Hour))
		wantErr(t, err, domain.ErrTokenNotFound, "latest at expiry")
	})

	t.Run("tries are counted up to the cap and no further", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		tok := createToken(t, st, u.ID, domain.PurposeResetOTP)
		now := base.Add(time.Minute)
		for i := range 5 {
			ok, err := st.Tokens.AddAttempt(ctx(t), tok.ID, 5, now)
			must(t, err, "add attempt")
			if !ok {
				t.Fatalf("try %d not counted", i+1)
			}
		}
		if ok, err := st.Tokens.AddAttempt(ctx(t), tok.ID, 5, now); ok || err != nil {
			t.Fatalf("sixth try counted: %v %v", ok, err)
		}
		got, err := st.Tokens.Latest(ctx(t), u.ID, domain.PurposeResetOTP, now)
		must(t, err, "latest")
		if got.Attempts != 5 {
			t.Fatalf("attempts = %d", got.Attempts)
		}
	})

	t.Run("no try is counted on a used or expired token", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		used := createToken(t, st, u.ID, domain.PurposeResetOTP)
		_, err := st.Tokens.Consume(ctx(t), used.Purpose, used.Hash, base.Add(time.Second))
		must(t, err, "consume")
		expired := createToken(t, st, u.ID, domain.PurposeResetLink)
		for _, c := range []struct {
			id  string
			now time.Time
		}{{used.ID, base.Add(time.Minute)}, {expired.ID, base.Add(time.Hour)}, {newID(), base}} {
			if ok, err := st.Tokens.AddAttempt(ctx(t), c.id, 5, c.now); ok || err != nil {
				t.Fatalf("counted on %s: %v %v", c.id, ok, err)
			}
		}
	})

	t.Run("parallel tries never exceed the cap", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		tok := createToken(t, st, u.ID, domain.PurposeResetOTP)
		var mu sync.Mutex
		counted := 0
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				ok, err := st.Tokens.AddAttempt(ctx(t), tok.ID, 5, base.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					counted++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if counted != 5 {
			t.Fatalf("%d tries counted, want 5", counted)
		}
	})
}

var errRollback = errors.New("roll back")

// AttemptLog checks an implementation of ports.AttemptLog.
func AttemptLog(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("counts events per key from a given time on", func(t *testing.T) {
		st := newStore(t)
		for i := range 3 {
			must(t, st.Attempts.Record(ctx(t), "a", base.Add(time.Duration(i)*time.Minute)), "record")
		}
		must(t, st.Attempts.Record(ctx(t), "b", base), "record")
		for since, want := range map[time.Duration]int{0: 3, time.Minute: 2, 2 * time.Minute: 1, 3 * time.Minute: 0} {
			n, err := st.Attempts.CountSince(ctx(t), "a", base.Add(since))
			must(t, err, "count")
			if n != want {
				t.Errorf("since +%s: %d, want %d", since, n, want)
			}
		}
	})
	t.Run("forgets events before a cutoff", func(t *testing.T) {
		st := newStore(t)
		must(t, st.Attempts.Record(ctx(t), "a", base), "record")
		must(t, st.Attempts.Record(ctx(t), "a", base.Add(time.Hour)), "record")
		n, err := st.Attempts.DeleteBefore(ctx(t), base.Add(time.Minute))
		must(t, err, "delete")
		left, _ := st.Attempts.CountSince(ctx(t), "a", base.Add(-time.Hour))
		if n != 1 || left != 1 {
			t.Fatalf("deleted %d, left %d", n, left)
		}
	})
	t.Run("forgets more events than one statement takes", func(t *testing.T) {
		st := newStore(t) // more than two batches of the SQL stores (1,000 rows)
		must(t, st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
			for i := range 2500 {
				if err := st.Attempts.Record(ctx, "a", base.Add(time.Duration(i)*time.Millisecond)); err != nil {
					return err
				}
			}
			return st.Attempts.Record(ctx, "a", base.Add(time.Hour))
		}), "record")
		n, err := st.Attempts.DeleteBefore(ctx(t), base.Add(time.Minute))
		must(t, err, "delete")
		left, _ := st.Attempts.CountSince(ctx(t), "a", base.Add(-time.Hour))
		if n != 2500 || left != 1 {
			t.Fatalf("deleted %d, left %d; want 2500 and 1", n, left)
		}
	})
	t.Run("records inside a transaction roll back with it", func(t *testing.T) {
		st := newStore(t)
		_ = st.Tx.WithinTx(ctx(t), func(c2 context.Context) error {
			must(t, st.Attempts.Record(c2, "a", base), "record")
			return errRollback
		})
		if n, _ := st.Attempts.CountSince(ctx(t), "a", base.Add(-time.Hour)); n != 0 {
			t.Fatalf("%d events survived the rollback", n)
		}
	})
}
