package contract

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"authd/domain"
)

// MFA checks an implementation of ports.TOTPRepository and
// ports.RecoveryCodeRepository, the MFA fields of ports.UserRepository and the
// Find of ports.OneTimeTokenRepository.
func MFA(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("an account without an enrolment is ErrTOTPNotFound", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		_, err := st.TOTP.ByUser(ctx(t), u.ID)
		wantErr(t, err, domain.ErrTOTPNotFound, "by user")
	})

	t.Run("an enrolment is created, confirmed and read back with every field", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		pending := domain.SealedSecret("g-sealed-pending-secret")
		start := base.Add(7 * time.Millisecond).In(elsewhere)
		must(t, st.TOTP.Update(ctx(t), u.ID, func(e *domain.TOTPEnrolment) error { return e.Start(pending, start) }), "start")
		got, err := st.TOTP.ByUser(ctx(t), u.ID)
		must(t, err, "by user")
		if got.UserID != u.ID || !bytes.Equal(got.Pending, pending) || got.Secret != nil || got.Active() || got.LastStep != 0 {
			t.Fatalf("pending enrolment read back as %+v", *got)
		}
		sameOptTime(t, "pending at", got.PendingAt, &start)

		confirm := base.Add(time.Minute + 9*time.Millisecond)
		must(t, st.TOTP.Update(ctx(t), u.ID, func(e *domain.TOTPEnrolment) error { return e.Confirm(1000, confirm) }), "confirm")
		got, err = st.TOTP.ByUser(ctx(t), u.ID)
		must(t, err, "by user")
		if !bytes.Equal(got.Secret, pending) || got.Pending != nil || got.PendingAt != nil || !got.Active() || got.LastStep != 1000 {
			t.Fatalf("confirmed enrolment read back as %+v", *got)
		}
		sameOptTime(t, "confirmed at", got.ConfirmedAt, &confirm)
		sameTime(t, "updated at", got.UpdatedAt, confirm)
	})

	t.Run("an update for an unknown account fails and stores nothing", func(t *testing.T) {
		st := newStore(t)
		err := st.TOTP.Update(ctx(t), domain.UserID(newID()), func(e *domain.TOTPEnrolment) error { return e.Start(domain.SealedSecret("x"), base) })
		if err == nil {
			t.Fatal("update of an unknown account succeeded")
		}
	})

	t.Run("an error from the update function changes nothing", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		err := st.TOTP.Update(ctx(t), u.ID, func(e *domain.TOTPEnrolment) error {
			_ = e.Start(domain.SealedSecret("x"), base)
			return domain.ErrConflict
		})
		wantErr(t, err, domain.ErrConflict, "update")
		_, err = st.TOTP.ByUser(ctx(t), u.ID)
		wantErr(t, err, domain.ErrTOTPNotFound, "by user")
	})

	t.Run("a step is accepted once, and never an earlier one", func(t *testing.T) {
		st := newStore(t)
		u := confirmedTOTP(t, st, 100)
		now := base.Add(time.Minute)
		for _, c := range []struct {
			step int64
			want bool
		}{{100, false}, {99, false}, {101, true}, {101, false}, {100, false}, {103, true}, {102, false}} {
			ok, err := st.TOTP.UseStep(ctx(t), u.ID, c.step, now)
			must(t, err, "use step")
			if ok != c.want {
				t.Fatalf("use step %d = %v, want %v", c.step, ok, c.want)
			}
		}
		got, err := st.TOTP.ByUser(ctx(t), u.ID)
		must(t, err, "by user")
		if got.LastStep != 103 {
			t.Fatalf("last step = %d, want 103", got.LastStep)
		}
	})

	t.Run("no step is accepted while an enrolment is only pending or switched off", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		must(t, st.TOTP.Update(ctx(t), u.ID, func(e *domain.TOTPEnrolment) error { return e.Start(domain.SealedSecret("p"), base) }), "start")
		if ok, err := st.TOTP.UseStep(ctx(t), u.ID, 5, base); err != nil || ok {
			t.Fatalf("use step on a pending enrolment = %v, %v", ok, err)
		}
		v := confirmedTOTP(t, st, 10)
		must(t, st.TOTP.Update(ctx(t), v.ID, func(e *domain.TOTPEnrolment) error { return e.Disable(base) }), "disable")
		if ok, err := st.TOTP.UseStep(ctx(t), v.ID, 50, base); err != nil || ok {
			t.Fatalf("use step on a switched-off enrolment = %v, %v", ok, err)
		}
		if ok, err := st.TOTP.UseStep(ctx(t), domain.UserID(newID()), 50, base); err != nil || ok {
			t.Fatalf("use step of an unknown account = %v, %v", ok, err)
		}
	})

	t.Run("of 20 concurrent uses of one step exactly one is accepted", func(t *testing.T) {
		st := newStore(t)
		u := confirmedTOTP(t, st, 100)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				ok, err := st.TOTP.UseStep(ctx(t), u.ID, 101, base)
				if err != nil {
					t.Errorf("use step: %v", err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent uses accepted, want 1", wins.Load())
		}
	})

	t.Run("recovery codes are single use, per account, and replaced as a set", func(t *testing.T) {
		st := newStore(t)
		u, v := createUser(t, st), createUser(t, st)
		set := recoverySet(u.ID, 10)
		must(t, st.RecoveryCodes.Replace(ctx(t), u.ID, set), "replace")
		must(t, st.RecoveryCodes.Replace(ctx(t), v.ID, recoverySet(v.ID, 10)), "replace other")
		wantUnused(t, st, u.ID, 10)

		now := base.Add(time.Minute)
		if ok, err := st.RecoveryCodes.Use(ctx(t), v.ID, set[0].Hash, now); err != nil || ok {
			t.Fatalf("another account's code used: %v, %v", ok, err)
		}
		if ok, err := st.RecoveryCodes.Use(ctx(t), u.ID, set[0].Hash, now); err != nil || !ok {
			t.Fatalf("first use = %v, %v", ok, err)
		}
		if ok, err := st.RecoveryCodes.Use(ctx(t), u.ID, set[0].Hash, now); err != nil || ok {
			t.Fatalf("second use = %v, %v", ok, err)
		}
		if ok, err := st.RecoveryCodes.Use(ctx(t), u.ID, newHash(), now); err != nil || ok {
			t.Fatalf("unknown code = %v, %v", ok, err)
		}
		wantUnused(t, st, u.ID, 9)

		fresh := recoverySet(u.ID, 10)
		must(t, st.RecoveryCodes.Replace(ctx(t), u.ID, fresh), "replace again")
		wantUnused(t, st, u.ID, 10)
		if ok, err := st.RecoveryCodes.Use(ctx(t), u.ID, set[1].Hash, now); err != nil || ok {
			t.Fatalf("a replaced code = %v, %v", ok, err)
		}
		must(t, st.RecoveryCodes.DeleteAll(ctx(t), u.ID), "delete all")
		wantUnused(t, st, u.ID, 0)
		wantUnused(t, st, v.ID, 10)
	})

	t.Run("of 20 concurrent uses of one recovery code exactly one succeeds", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		set := recoverySet(u.ID, 10)
		must(t, st.RecoveryCodes.Replace(ctx(t), u.ID, set), "replace")
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				ok, err := st.RecoveryCodes.Use(ctx(t), u.ID, set[3].Hash, base)
				if err != nil {
					t.Errorf("use: %v", err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent uses succeeded, want 1", wins.Load())
		}
	})

	t.Run("a rolled-back transaction leaves enrolment and codes as they were", func(t *testing.T) {
		st := newStore(t)
		u := confirmedTOTP(t, st, 100)
		set := recoverySet(u.ID, 10)
		must(t, st.RecoveryCodes.Replace(ctx(t), u.ID, set), "replace")
		err := st.Tx.WithinTx(ctx(t), func(c2 context.Context) error {
			if ok, err := st.TOTP.UseStep(c2, u.ID, 200, base); err != nil || !ok {
				t.Fatalf("use step in tx = %v, %v", ok, err)
			}
			if ok, err := st.RecoveryCodes.Use(c2, u.ID, set[0].Hash, base); err != nil || !ok {
				t.Fatalf("use code in tx = %v, %v", ok, err)
			}
			return domain.ErrConflict
		})
		wantErr(t, err, domain.ErrConflict, "tx")
		if ok, err := st.TOTP.UseStep(ctx(t), u.ID, 150, base); err != nil || !ok {
			t.Fatalf("step after rollback = %v, %v", ok, err)
		}
		wantUnused(t, st, u.ID, 10)
	})

	t.Run("the user's MFA flag and time are stored and read back", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		got, err := st.Users.ByID(ctx(t), u.ID)
		must(t, err, "by id")
		if got.MFAEnabled || got.MFAEnabledAt != nil {
			t.Fatalf("a new user has MFA: %v %v", got.MFAEnabled, got.MFAEnabledAt)
		}
		at := base.Add(3 * time.Millisecond).In(elsewhere)
		must(t, st.Users.Update(ctx(t), u.ID, func(u *domain.User) error { return u.EnableMFA(at) }), "enable")
		got, err = st.Users.ByEmail(ctx(t), u.Email)
		must(t, err, "by email")
		if !got.MFAEnabled {
			t.Fatal("MFA flag not stored")
		}
		sameOptTime(t, "mfa enabled at", got.MFAEnabledAt, &at)
		must(t, st.Users.Update(ctx(t), u.ID, func(u *domain.User) error { u.DisableMFA(base); return nil }), "disable")
		got, err = st.Users.ByID(ctx(t), u.ID)
		must(t, err, "by id")
		if got.MFAEnabled || got.MFAEnabledAt != nil {
			t.Fatalf("MFA still on after disable: %v %v", got.MFAEnabled, got.MFAEnabledAt)
		}
		created := newUser("mfa-" + newID()[:8] + "@example.com")
		created.MFAEnabled, created.MFAEnabledAt = true, &at
		must(t, st.Users.Create(ctx(t), created), "create with mfa")
		got, err = st.Users.ByID(ctx(t), created.ID)
		must(t, err, "by id")
		if !got.MFAEnabled {
			t.Fatal("MFA flag not stored on create")
		}
	})

	t.Run("find returns a usable token without spending it", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		tok := createToken(t, st, u.ID, domain.PurposeMFALogin)
		now := base.Add(time.Minute)
		for range 2 {
			got, err := st.Tokens.Find(ctx(t), domain.PurposeMFALogin, tok.Hash, now)
			must(t, err, "find")
			sameToken(t, got, tok)
		}
		_, err := st.Tokens.Find(ctx(t), domain.PurposeResetOTP, tok.Hash, now)
		wantErr(t, err, domain.ErrTokenNotFound, "find for another purpose")
		_, err = st.Tokens.Find(ctx(t), domain.PurposeMFALogin, tok.Hash, tok.ExpiresAt)
		wantErr(t, err, domain.ErrTokenNotFound, "find at expiry")
		_, err = st.Tokens.Consume(ctx(t), domain.PurposeMFALogin, tok.Hash, now)
		must(t, err, "consume")
		_, err = st.Tokens.Find(ctx(t), domain.PurposeMFALogin, tok.Hash, now)
		wantErr(t, err, domain.ErrTokenNotFound, "find after consume")
	})
}

// confirmedTOTP stores a user with an active enrolment whose last step is step.
func confirmedTOTP(t *testing.T, st Store, step int64) *domain.User {
	t.Helper()
	u := createUser(t, st)
	must(t, st.TOTP.Update(ctx(t), u.ID, func(e *domain.TOTPEnrolment) error {
		if err := e.Start(domain.SealedSecret("g-sealed"), base); err != nil {
			return err
		}
		return e.Confirm(step, base)
	}), "confirm totp")
	return u
}

// recoverySet returns n fresh recovery codes of user.
func recoverySet(user domain.UserID, n int) []domain.RecoveryCode {
	out := make([]domain.RecoveryCode, n)
	for i := range out {
		out[i] = domain.RecoveryCode{ID: newID(), UserID: user, Hash: newHash(), CreatedAt: base}
	}
	return out
}

func wantUnused(t *testing.T, st Store, user domain.UserID, want int) {
	t.Helper()
	n, err := st.RecoveryCodes.CountUnused(ctx(t), user)
	must(t, err, "count unused")
	if n != want {
		t.Fatalf("unused recovery codes = %d, want %d", n, want)
	}
}
