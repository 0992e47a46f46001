package contract

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"authd/domain"
)

// Users checks an implementation of ports.UserRepository.
func Users(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("a created user is found by id with every field intact", func(t *testing.T) {
		s := newStore(t)
		u := newUser("alice@example.com")
		u.Profile = domain.Profile{FirstName: "Alice", LastName: "Liddell", Phone: "+14155550100", Gender: "female", ProfileImage: "https://example.com/a.png"}
		u.Role = "retailer"
		u.EmailVerified = true
		u.CreatedAt = base.Add(-time.Hour).In(elsewhere)
		u.UpdatedAt = base.Add(-time.Minute + 7*time.Millisecond).In(elsewhere)
		must(t, s.Users.Create(ctx(t), u), "create")

		got, err := s.Users.ByID(ctx(t), u.ID)
		must(t, err, "by id")
		sameUser(t, got, u)
	})

	t.Run("a created user is found by its email however it was spelled", func(t *testing.T) {
		s := newStore(t)
		u := newUser("Bob.Builder@Example.COM")
		must(t, s.Users.Create(ctx(t), u), "create")

		got, err := s.Users.ByEmail(ctx(t), domain.MustEmail("  bob.builder@example.com "))
		must(t, err, "by email")
		if got.ID != u.ID || got.Email.String() != "bob.builder@example.com" {
			t.Fatalf("by email = %s <%s>, want %s <bob.builder@example.com>", got.ID, got.Email, u.ID)
		}
	})

	t.Run("a second user with the same email is refused with ErrEmailTaken", func(t *testing.T) {
		s := newStore(t)
		must(t, s.Users.Create(ctx(t), newUser("carol@example.com")), "create first")
		err := s.Users.Create(ctx(t), newUser("CAROL@example.com"))
		wantErr(t, err, domain.ErrEmailTaken, "create second")
	})

	t.Run("an unknown id is ErrUserNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Users.ByID(ctx(t), domain.UserID(newID()))
		wantErr(t, err, domain.ErrUserNotFound, "by id")
	})

	t.Run("an unknown email is ErrUserNotFound", func(t *testing.T) {
		s := newStore(t)
		createUser(t, s)
		_, err := s.Users.ByEmail(ctx(t), domain.MustEmail("nobody@example.com"))
		wantErr(t, err, domain.ErrUserNotFound, "by email")
	})

	t.Run("update writes back every mutable field", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s)
		deactivated := base.Add(90*time.Minute + 123*time.Millisecond).In(elsewhere)
		updated := base.Add(90*time.Minute + 456*time.Millisecond).In(elsewhere)
		want := *u
		want.Email = domain.MustEmail("renamed@example.com")
		want.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA"
		want.Profile = domain.Profile{FirstName: "Dora", LastName: "Explorer", Phone: "+442071838750", Gender: "other", ProfileImage: "http://example.org/d.jpg"}
		want.Role = "admin"
		want.EmailVerified = true
		want.DeactivatedAt = &deactivated
		want.UpdatedAt = updated

		must(t, s.Users.Update(ctx(t), u.ID, func(got *domain.User) error {
			sameUser(t, got, u)
			*got = want
			return nil
		}), "update")

		got, err := s.Users.ByID(ctx(t), u.ID)
		must(t, err, "by id")
		sameUser(t, got, &want)
		if _, err := s.Users.ByEmail(ctx(t), u.Email); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("old email still finds the user (err %v)", err)
		}
		got, err = s.Users.ByEmail(ctx(t), want.Email)
		must(t, err, "by new email")
		if got.ID != u.ID {
			t.Errorf("new email finds %s, want %s", got.ID, u.ID)
		}
	})

	t.Run("update clears the deactivation time and every profile field", func(t *testing.T) {
		s := newStore(t)
		u := newUser("erin@example.com")
		u.Profile = domain.Profile{FirstName: "Erin", LastName: "E", Phone: "+14155550101", Gender: "f", ProfileImage: "https://example.com/e.png"}
		u.EmailVerified = true
		u.DeactivatedAt = ptr(base.Add(time.Second))
		must(t, s.Users.Create(ctx(t), u), "create")

		must(t, s.Users.Update(ctx(t), u.ID, func(got *domain.User) error {
			got.DeactivatedAt = nil
			got.Profile = domain.Profile{}
			got.EmailVerified = false
			return nil
		}), "update")

		got, err := s.Users.ByID(ctx(t), u.ID)
		must(t, err, "by id")
		want := *u
		want.DeactivatedAt = nil
		want.Profile = domain.Profile{}
		want.EmailVerified = false
		sameUser(t, got, &want)
	})

	t.Run("an error from the update function aborts the update and is returned as is", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s)
		boom := errors.New("boom")
		err := s.Users.Update(ctx(t), u.ID, func(got *domain.User) error {
			got.Role = "admin"
			got.PasswordHash = "changed"
			return boom
		})
		if err != boom {
			t.Fatalf("update = %v, want the function's own error", err)
		}
		got, err := s.Users.ByID(ctx(t), u.ID)
		must(t, err, "by id")
		sameUser(t, got, u)
	})

	t.Run("update to an email in use is ErrEmailTaken and changes nothing", func(t *testing.T) {
		s := newStore(t)
		a, b := createUser(t, s), createUser(t, s)
		err := s.Users.Update(ctx(t), b.ID, func(got *domain.User) error {
			got.Email = a.Email
			got.Role = "admin"
			return nil
		})
		wantErr(t, err, domain.ErrEmailTaken, "update")
		got, err := s.Users.ByID(ctx(t), b.ID)
		must(t, err, "by id")
		sameUser(t, got, b)
	})

	t.Run("concurrent updates of one user apply one after the other and lose nothing", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s)
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = s.Users.Update(ctx(t), u.ID, func(got *domain.User) error {
					got.Profile.LastName += "x"
					return nil
				})
			})
		}
		wg.Wait()
		for _, err := range errs {
			must(t, err, "update")
		}
		got, err := s.Users.ByID(ctx(t), u.ID)
		must(t, err, "by id")
		if got.Profile.LastName != strings.Repeat("x", n) {
			t.Fatalf("after %d concurrent updates the last name is %q: updates were lost", n, got.Profile.LastName)
		}
	})

	t.Run("update of an unknown user is ErrUserNotFound without calling the function", func(t *testing.T) {
		s := newStore(t)
		called := false
		err := s.Users.Update(ctx(t), domain.UserID(newID()), func(*domain.User) error { called = true; return nil })
		wantErr(t, err, domain.ErrUserNotFound, "update")
		if called {
			t.Errorf("the update function was called for a missing user")
		}
	})
}

// sameUser fails the test unless got and want agree on every field.
func sameUser(t *testing.T, got, want *domain.User) {
	t.Helper()
	if got.ID != want.ID || got.Email != want.Email || got.PasswordHash != want.PasswordHash ||
		got.Profile != want.Profile || got.Role != want.Role || got.EmailVerified != want.EmailVerified {
		t.Errorf("user = %+v\nwant   %+v", *got, *want)
	}
	sameOptTime(t, "DeactivatedAt", got.DeactivatedAt, want.DeactivatedAt)
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}
