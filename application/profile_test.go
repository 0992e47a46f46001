package application

import (
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
