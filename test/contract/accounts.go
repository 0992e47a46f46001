package contract

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"authd/domain"
	"authd/ports"
)

// Accounts checks what the admin API and the account history need of a store:
// the admin list, the admins' lock, last logins, token payloads and the
// security event log.
func Accounts(t *testing.T, newStore func(t *testing.T) Store) {
	// sortedUser is a user whose id sorts by n, as time-ordered ids do.
	sortedUser := func(t *testing.T, st Store, n int, email string, mod func(*domain.User)) *domain.User {
		t.Helper()
		u := newUser(email)
		u.ID = domain.UserID(fmt.Sprintf("01900000-0000-7000-8000-%012d", n))
		if mod != nil {
			mod(u)
		}
		must(t, st.Users.Create(ctx(t), u), "create user")
		return u
	}
	ids := func(us []domain.User) []domain.UserID {
		out := make([]domain.UserID, len(us))
		for i, u := range us {
			out[i] = u.ID
		}
		return out
	}

	t.Run("the list is oldest first, paged after an id", func(t *testing.T) {
		st := newStore(t)
		var all []domain.UserID
		for i := range 5 {
			all = append(all, sortedUser(t, st, i, fmt.Sprintf("u%d@example.com", i), nil).ID)
		}
		first, err := st.Users.List(ctx(t), ports.UserFilter{}, "", 2)
		must(t, err, "first page")
		next, err := st.Users.List(ctx(t), ports.UserFilter{}, first[1].ID, 10)
		must(t, err, "next page")
		if got := append(ids(first), ids(next)...); !slices.Equal(got, all) {
			t.Fatalf("pages %v, want %v", got, all)
		}
	})

	t.Run("the list filters by email prefix (literally), role and status", func(t *testing.T) {
		st := newStore(t)
		now := base
		a := sortedUser(t, st, 1, "ann_x@example.com", func(u *domain.User) { u.EmailVerified = true })
		sortedUser(t, st, 2, "annex@example.com", func(u *domain.User) { u.Role = "retailer" })
		c := sortedUser(t, st, 3, "bob@example.com", func(u *domain.User) { u.DeactivatedAt = &now; u.Role = "admin" })
		d := sortedUser(t, st, 4, "100%@example.com", nil)
		cases := []struct {
			f    ports.UserFilter
			want []domain.UserID
		}{
			{ports.UserFilter{EmailPrefix: "ann_"}, []domain.UserID{a.ID}},
			{ports.UserFilter{EmailPrefix: "100%"}, []domain.UserID{d.ID}},
			{ports.UserFilter{Role: "admin"}, []domain.UserID{c.ID}},
			{ports.UserFilter{Status: ports.StatusActive}, []domain.UserID{a.ID}},
			{ports.UserFilter{Status: ports.StatusDeactivated}, []domain.UserID{c.ID}},
			{ports.UserFilter{EmailPrefix: "ann", Status: ports.StatusUnverified}, []domain.UserID{"01900000-0000-7000-8000-000000000002"}},
		}
		for _, tc := range cases {
			got, err := st.Users.List(ctx(t), tc.f, "", 10)
			must(t, err, "list")
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("filter %+v: %v, want %v", tc.f, ids(got), tc.want)
			}
		}
	})

	t.Run("the admins' lock lists the active holders of the roles", func(t *testing.T) {
		st := newStore(t)
		now := base
		a := sortedUser(t, st, 1, "a@example.com", func(u *domain.User) { u.Role = "admin" })
		sortedUser(t, st, 2, "b@example.com", func(u *domain.User) { u.Role = "admin"; u.DeactivatedAt = &now })
		sortedUser(t, st, 3, "c@example.com", nil)
		err := st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
			got, err := st.Users.LockActiveWithRoles(ctx, []domain.Role{"admin"})
			if err == nil && !slices.Equal(got, []domain.UserID{a.ID}) {
				return fmt.Errorf("locked %v, want %v", got, []domain.UserID{a.ID})
			}
			return err
		})
		must(t, err, "lock admins")
	})

	t.Run("two transactions demoting the two admins at once leave one admin", func(t *testing.T) {
		st := newStore(t)
		a := sortedUser(t, st, 1, "a@example.com", func(u *domain.User) { u.Role = "admin" })
		b := sortedUser(t, st, 2, "b@example.com", func(u *domain.User) { u.Role = "admin" })
		demote := func(id domain.UserID) error {
			return st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
				admins, err := st.Users.LockActiveWithRoles(ctx, []domain.Role{"admin"})
				if err != nil {
					return err
				}
				if len(admins) <= 1 {
					return domain.ErrConflict
				}
				return st.Users.Update(ctx, id, func(u *domain.User) error { u.ChangeRole("customer", base); return nil })
			})
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []domain.UserID{a.ID, b.ID} {
			wg.Go(func() { errs[i] = demote(id) })
		}
		wg.Wait()
		admins, err := st.Users.LockActiveWithRoles(ctx(t), []domain.Role{"admin"})
		must(t, err, "admins after")
		if len(admins) != 1 || (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("admins left %v; results %v", admins, errs)
		}
		for _, err := range errs {
			if err != nil && !errors.Is(err, domain.ErrConflict) {
				t.Fatalf("a demotion failed with %v, want conflict or success", err)
			}
		}
	})

	t.Run("the last login is kept", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		at := base.Add(time.Hour + 7*time.Millisecond)
		must(t, st.Users.RecordLogin(ctx(t), u.ID, at), "record login")
		got, err := st.Users.ByID(ctx(t), u.ID)
		must(t, err, "by id")
		sameOptTime(t, "LastLoginAt", got.LastLoginAt, &at)
	})

	t.Run("a token keeps its payload", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		tok := newToken(u.ID, domain.PurposeChangeEmail)
		tok.Payload = "new-address@example.com"
		must(t, st.Tokens.Create(ctx(t), tok), "create")
		got, err := st.Tokens.Consume(ctx(t), domain.PurposeChangeEmail, tok.Hash, base)
		must(t, err, "consume")
		if got.Payload != tok.Payload {
			t.Fatalf("payload %q, want %q", got.Payload, tok.Payload)
		}
	})

	t.Run("an update to an email another account has is email_taken and changes nothing", func(t *testing.T) {
		st := newStore(t)
		a, b := createUser(t, st), createUser(t, st)
		err := st.Users.Update(ctx(t), a.ID, func(u *domain.User) error { return u.ChangeEmail(b.Email, base) })
		wantErr(t, err, domain.ErrEmailTaken, "update to a taken email")
		got, err := st.Users.ByID(ctx(t), a.ID)
		must(t, err, "by id")
		if got.Email != a.Email {
			t.Fatalf("email %s after a refused change", got.Email)
		}
	})

	t.Run("security events are listed newest first, paged before an id, with every field", func(t *testing.T) {
		st := newStore(t)
		u, other := createUser(t, st), createUser(t, st)
		var want []domain.SecurityEvent
		for i := range 5 {
			e := domain.SecurityEvent{ID: fmt.Sprintf("01900000-0000-7000-8000-%012d", i), UserID: u.ID, Type: domain.EventLogin,
				CreatedAt: base.Add(time.Duration(i) * time.Second), IP: "203.0.113.7", UserAgent: "curl/8", SessionID: "s1", ActorID: other.ID}
			must(t, st.Events.Record(ctx(t), e), "record")
			want = append([]domain.SecurityEvent{e}, want...)
		}
		must(t, st.Events.Record(ctx(t), domain.SecurityEvent{ID: "01900000-0000-7000-8000-999999999999", UserID: other.ID,
			Type: domain.EventLogout, CreatedAt: base}), "record other")
		first, err := st.Events.ListForUser(ctx(t), u.ID, "", 2)
		must(t, err, "first page")
		rest, err := st.Events.ListForUser(ctx(t), u.ID, first[1].ID, 10)
		must(t, err, "next page")
		got := append(first, rest...)
		if len(got) != len(want) {
			t.Fatalf("%d events, want %d", len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			sameTime(t, "CreatedAt", g.CreatedAt, w.CreatedAt)
			g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
			if g != w {
				t.Fatalf("event %d = %+v, want %+v", i, g, w)
			}
		}
	})

	t.Run("a security event rolls back with its transaction and old ones are deleted", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		boom := errors.New("boom")
		err := st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
			must(t, st.Events.Record(ctx, domain.SecurityEvent{ID: newID(), UserID: u.ID, Type: domain.EventLogin, CreatedAt: base}), "record")
			return boom
		})
		if err != boom {
			t.Fatalf("WithinTx = %v", err)
		}
		if got, _ := st.Events.ListForUser(ctx(t), u.ID, "", 10); len(got) != 0 {
			t.Fatalf("the event of a rolled back transaction is there: %+v", got)
		}
		must(t, st.Events.Record(ctx(t), domain.SecurityEvent{ID: "b", UserID: u.ID, Type: domain.EventLogin, CreatedAt: base}), "old")
		must(t, st.Events.Record(ctx(t), domain.SecurityEvent{ID: "c", UserID: u.ID, Type: domain.EventLogout, CreatedAt: base.Add(time.Hour)}), "new")
		n, err := st.Events.DeleteBefore(ctx(t), base.Add(time.Minute))
		must(t, err, "delete")
		left, _ := st.Events.ListForUser(ctx(t), u.ID, "", 10)
		if n != 1 || len(left) != 1 || left[0].ID != "c" {
			t.Fatalf("deleted %d, left %+v", n, left)
		}
	})
}
