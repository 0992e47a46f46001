package application

import (
	"context"
	"errors"
	"testing"
	"time"

	"authd/domain"
	"authd/ports"
)

func TestProfile(t *testing.T) {
	t.Parallel()
	t.Run("updates only the given fields and clears with an empty string", func(t *testing.T) {
		e := newEnv()
		u := registered(t, e)
		who := ports.Principal{UserID: u.ID}
		e.clock.Advance(time.Minute)
		got, err := e.profile.Update(ctx, who, domain.ProfilePatch{LastName: ptr(" Doe "), Phone: ptr("+14155550100")})
		if err != nil {
			t.Fatal(err)
		}
		if got.Profile != (domain.Profile{FirstName: "Jane", LastName: "Doe", Phone: "+14155550100"}) || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("got %+v", got)
		}
		got, err = e.profile.Update(ctx, who, domain.ProfilePatch{FirstName: ptr("")})
		if err != nil || got.Profile.FirstName != "" || got.Profile.LastName != "Doe" {
			t.Fatalf("got %+v, %v", got.Profile, err)
		}
		me, err := e.profile.Me(ctx, who)
		if err != nil || me.Profile != got.Profile {
			t.Fatalf("Me: %+v, %v", me, err)
		}
	})

	t.Run("changes nothing when any field is invalid", func(t *testing.T) {
		e := newEnv()
		u := registered(t, e)
		_, err := e.profile.Update(ctx, ports.Principal{UserID: u.ID}, domain.ProfilePatch{LastName: ptr("Doe"), ProfileImage: ptr("ftp://x")})
		if !errors.Is(err, domain.ErrValidation) {
			t.Fatalf("got %v", err)
		}
		if me, _ := e.profile.Me(ctx, ports.Principal{UserID: u.ID}); me.Profile.LastName != "" {
			t.Fatal("a valid field of an invalid patch was saved")
		}
	})

	t.Run("answers a vanished account as a revoked token", func(t *testing.T) {
		if _, err := newEnv().profile.Me(ctx, ports.Principal{UserID: "gone"}); !errors.Is(err, domain.ErrTokenRevoked) {
			t.Fatalf("got %v", err)
		}
	})
}

// GET /users/me answers from a copy while the account's version, read with
// the revocation check, is unchanged, and from the database again as soon as
// any committed change (on any instance: here through the store) bumped it.
func TestProfileMeCopies(t *testing.T) {
	t.Parallel()
	authenticated := func(t *testing.T, e *env, s ports.SessionTokens) ports.Principal {
		t.Helper()
		who, err := e.auth.Authenticate(ctx, s.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		return who
	}
	errDown := domain.WrapUnavailable(errors.New("database down"))

	t.Run("a copy answers while the version holds; a change makes it miss", func(t *testing.T) {
		e := newEnv()
		s := loggedIn(t, e)
		first, err := e.profile.Me(ctx, authenticated(t, e, s))
		if err != nil || first.PasswordHash != "" {
			t.Fatalf("Me: %+v, %v; want the account without its password hash", first, err)
		}
		who := authenticated(t, e, s)
		if who.AccountVersion == "" {
			t.Fatal("the first read gave the account no version")
		}
		e.store.FailNext(errDown)
		if _, err := e.profile.Me(ctx, who); err != nil {
			t.Fatalf("Me with an unchanged version read the database: %v", err)
		}
		e.store.FailNext(nil)

		if _, err := e.profile.Update(ctx, who, domain.ProfilePatch{FirstName: ptr("Janet")}); err != nil {
			t.Fatal(err)
		}
		after := authenticated(t, e, s)
		if after.AccountVersion == who.AccountVersion {
			t.Fatal("a committed change left the version as it was")
		}
		if me, err := e.profile.Me(ctx, after); err != nil || me.Profile.FirstName != "Janet" {
			t.Fatalf("Me after the change: %+v, %v; want the new name", me, err)
		}
		if me, err := e.profile.Me(ctx, who); err != nil || me.Profile.FirstName != "Janet" {
			t.Fatalf("Me with the old version: %+v, %v; want no copy of it any more", me, err)
		}
	})

	t.Run("a copy ages out even when its version holds", func(t *testing.T) {
		e := newEnv()
		s := loggedIn(t, e)
		if _, err := e.profile.Me(ctx, authenticated(t, e, s)); err != nil {
			t.Fatal(err)
		}
		who := authenticated(t, e, s)
		e.clock.Advance(copyTTL)
		e.store.FailNext(errDown)
		if _, err := e.profile.Me(ctx, who); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("Me %s after the copy was read: %v; want it read from the database again", copyTTL, err)
		}
	})

	t.Run("no copy without a version", func(t *testing.T) {
		e := newEnv()
		s := loggedIn(t, e)
		who := authenticated(t, e, s)
		who.AccountVersion = ""
		profile := NewProfile(e.store.Users(), noVersions{}, e.clock, nil)
		for range 2 {
			if _, err := profile.Me(ctx, who); err != nil {
				t.Fatal(err)
			}
		}
		e.store.FailNext(errDown)
		if _, err := profile.Me(ctx, who); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("Me without versions: %v; want every read from the database", err)
		}
	})

	t.Run("a revoked session is refused before any copy is looked at", func(t *testing.T) {
		e := newEnv()
		s := loggedIn(t, e)
		if _, err := e.profile.Me(ctx, authenticated(t, e, s)); err != nil {
			t.Fatal(err)
		}
		if err := e.deactivation.Deactivate(ctx, authenticated(t, e, s), "correct horse"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.auth.Authenticate(ctx, s.AccessToken); !errors.Is(err, domain.ErrTokenRevoked) {
			t.Fatalf("after deactivation: %v; want the token refused", err)
		}
	})
}

// noVersions is a version store that keeps none (the process-local denylist's).
type noVersions struct{}

func (noVersions) Bump(context.Context, domain.UserID) error            { return nil }
func (noVersions) Start(context.Context, domain.UserID) (string, error) { return "", nil }
