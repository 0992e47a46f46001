package contract

import (
	"context"
	"errors"
	"testing"
	"time"

	"authd/domain"
)

// Transactor checks an implementation of ports.Transactor together with the
// repositories that take part in its transactions.
func Transactor(t *testing.T, newStore func(t *testing.T) Store) {
	boom := errors.New("boom")

	t.Run("a failed transaction leaves nothing behind and returns the error as is", func(t *testing.T) {
		st := newStore(t)
		u := newUser("frank@example.com")
		s, rt := newSession(u.ID, base)
		err := st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
			must(t, st.Users.Create(ctx, u), "create user")
			must(t, st.Sessions.Create(ctx, s, rt), "create session")
			must(t, st.Tokens.Create(ctx, newToken(u.ID, domain.PurposeVerifyEmail)), "create token")
			must(t, st.Outbox.Enqueue(ctx, newMessage(1), base), "enqueue")
			return boom
		})
		if err != boom {
			t.Fatalf("WithinTx = %v, want the function's own error", err)
		}
		if _, err := st.Users.ByID(ctx(t), u.ID); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("user of a rolled back transaction is there (err %v)", err)
		}
		if _, err := st.Sessions.ByID(ctx(t), s.ID); !errors.Is(err, domain.ErrSessionNotFound) {
			t.Errorf("session of a rolled back transaction is there (err %v)", err)
		}
		if got := claimIDs(t, st, base.Add(time.Hour), time.Minute, 10); len(got) != 0 {
			t.Errorf("mail of a rolled back transaction is in the outbox: %v", got)
		}
	})

	t.Run("a successful transaction commits every write", func(t *testing.T) {
		st := newStore(t)
		u := newUser("grace@example.com")
		m := newMessage(1)
		must(t, st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
			if err := st.Users.Create(ctx, u); err != nil {
				return err
			}
			return st.Outbox.Enqueue(ctx, m, base)
		}), "WithinTx")
		_, err := st.Users.ByID(ctx(t), u.ID)
		must(t, err, "user after commit")
		if got := claimIDs(t, st, base, time.Minute, 10); len(got) != 1 || got[0] != m.ID {
			t.Errorf("outbox after commit = %v, want [%s]", got, m.ID)
		}
	})

	t.Run("reads inside a transaction see its own writes", func(t *testing.T) {
		st := newStore(t)
		u := newUser("heidi@example.com")
		must(t, st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
			if err := st.Users.Create(ctx, u); err != nil {
				return err
			}
			got, err := st.Users.ByEmail(ctx, u.Email)
			if err != nil {
				return err
			}
			if got.ID != u.ID {
				t.Errorf("read inside the transaction found %s, want %s", got.ID, u.ID)
			}
			return st.Users.Update(ctx, u.ID, func(x *domain.User) error { x.EmailVerified = true; return nil })
		}), "WithinTx")
		got, err := st.Users.ByID(ctx(t), u.ID)
		must(t, err, "by id")
		if !got.EmailVerified {
			t.Errorf("update inside the transaction was lost")
		}
	})

	t.Run("a nested call joins the outer transaction and rolls back with it", func(t *testing.T) {
		st := newStore(t)
		outer, inner := newUser("ivan@example.com"), newUser("judy@example.com")
		err := st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
			must(t, st.Users.Create(ctx, outer), "create outer")
			must(t, st.Tx.WithinTx(ctx, func(ctx context.Context) error {
				if _, err := st.Users.ByID(ctx, outer.ID); err != nil {
					t.Errorf("the nested call does not see the outer write: %v", err)
				}
				return st.Users.Create(ctx, inner)
			}), "nested WithinTx")
			return boom
		})
		if err != boom {
			t.Fatalf("WithinTx = %v, want the function's own error", err)
		}
		for _, u := range []*domain.User{outer, inner} {
			if _, err := st.Users.ByID(ctx(t), u.ID); !errors.Is(err, domain.ErrUserNotFound) {
				t.Errorf("user %s of a rolled back transaction is there (err %v)", u.Email, err)
			}
		}
	})

	t.Run("an error of a nested call rolls back the whole transaction when the outer returns it", func(t *testing.T) {
		st := newStore(t)
		u := newUser("ken@example.com")
		err := st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
			must(t, st.Users.Create(ctx, u), "create")
			return st.Tx.WithinTx(ctx, func(context.Context) error { return boom })
		})
		if err != boom {
			t.Fatalf("WithinTx = %v, want the nested function's error", err)
		}
		if _, err := st.Users.ByID(ctx(t), u.ID); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("user of a rolled back transaction is there (err %v)", err)
		}
	})

	t.Run("a panic rolls the transaction back and goes on panicking", func(t *testing.T) {
		st := newStore(t)
		u := newUser("leo@example.com")
		func() {
			defer func() {
				if r := recover(); r != "kaboom" {
					t.Errorf("recovered %v, want the original panic", r)
				}
			}()
			_ = st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
				must(t, st.Users.Create(ctx, u), "create")
				panic("kaboom")
			})
		}()
		if _, err := st.Users.ByID(ctx(t), u.ID); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("user of a panicked transaction is there (err %v)", err)
		}
		// The store is still usable after the panic.
		must(t, st.Users.Create(ctx(t), u), "create after panic")
	})

	t.Run("a rotation inside a failed transaction is undone", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		s, old := createSession(t, st, u.ID, base)
		now := base.Add(time.Minute)
		next := domain.RefreshToken{Hash: newHash(), SessionID: s.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		err := st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
			ok, err := st.Sessions.Rotate(ctx, old.Hash, next)
			if err != nil || !ok {
				t.Errorf("rotate = %v, %v; want true", ok, err)
			}
			return boom
		})
		if err != boom {
			t.Fatalf("WithinTx = %v, want the function's own error", err)
		}
		ok, err := st.Sessions.Rotate(ctx(t), old.Hash, next)
		must(t, err, "rotate after rollback")
		if !ok {
			t.Errorf("the old token stayed spent after the rollback")
		}
	})

	t.Run("a transaction of another store is not joined", func(t *testing.T) {
		a, b := newStore(t), newStore(t)
		u := newUser("ivan@example.com")
		err := a.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
			if err := b.Users.Create(ctx, u); err != nil { // b commits on its own
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("WithinTx = %v, want the function's own error", err)
		}
		if _, err := b.Users.ByID(ctx(t), u.ID); err != nil {
			t.Errorf("the user written to b with a's transaction in the context is gone: %v", err)
		}
		if _, err := a.Users.ByID(ctx(t), u.ID); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("the user is in a: %v", err)
		}
	})
}
