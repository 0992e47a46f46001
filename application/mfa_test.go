package application

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"authd/application/fakes"
	"authd/domain"
	"authd/ports"
)

// mfaEnv adds the multi-factor use cases to env, on the same fakes and clock.
type mfaEnv struct {
	*env
	mfa   *MFA
	login *MFALogin
}

func newMFAEnv(t *testing.T) (*mfaEnv, *domain.User, ports.Principal) {
	t.Helper()
	e := newEnv()
	st := e.store
	stores := Stores{Tx: st, Users: st.Users(), Sessions: st.Sessions(), Tokens: st.Tokens(), Outbox: st.Outbox(), Attempts: st.Attempts(),
		Events: st.Events(), TOTP: st.TOTP(), RecoveryCodes: st.RecoveryCodes()}
	run := Env{Clock: e.clock, Random: e.random, Settings: e.settings, Log: slogDiscard()}
	m := &mfaEnv{env: e, mfa: NewMFA(stores, run, e.hasher, fakes.Sealer{}, fakes.TOTPCodes{}),
		login: NewMFALogin(stores, run, fakes.Sealer{}, fakes.TOTPCodes{}, e.issuer, e.guard)}
	u := registered(t, e)
	return m, u, ports.Principal{UserID: u.ID, Email: u.Email}
}

// step is the time step of the fake clock.
func (m *mfaEnv) step() int64 { return m.clock.Now().Unix() / 30 }

// enable enrols and confirms with the current step's code; it returns the
// secret and the recovery codes.
func (m *mfaEnv) enable(t *testing.T, p ports.Principal) (domain.Secret, []domain.Secret) {
	t.Helper()
	en, err := m.mfa.StartTOTP(ctx, p, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	codes, err := m.mfa.ConfirmTOTP(ctx, p, fakes.TOTPCode(en.Secret, m.step()))
	if err != nil {
		t.Fatal(err)
	}
	return en.Secret, codes
}

func (m *mfaEnv) challenge(t *testing.T) domain.Secret {
	t.Helper()
	s, err := m.env.login.Login(ctx, ports.LoginInput{Email: "jane@example.com", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if s.MFA == nil || s.AccessToken != "" || s.RefreshToken != "" {
		t.Fatalf("login of an MFA account: %+v", s)
	}
	return s.MFA.Token
}

func TestMFAEnrolment(t *testing.T) {
	t.Parallel()
	t.Run("the secret is stored sealed and the confirmed account needs a second factor", func(t *testing.T) {
		m, u, p := newMFAEnv(t)
		if _, err := m.mfa.StartTOTP(ctx, p, "wrong"); !errors.Is(err, domain.ErrInvalidCurrentPassword) {
			t.Fatalf("wrong password: %v", err)
		}
		en, err := m.mfa.StartTOTP(ctx, p, "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		stored, err := m.store.TOTP().ByUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(stored.Pending, []byte("sealed::totp:"+string(u.ID)+":")) || stored.Active() {
			t.Fatalf("stored enrolment %v", stored.Pending)
		}
		if !strings.HasPrefix(en.OTPAuthURI.Reveal(), "otpauth://totp/authd:jane@example.com?secret="+en.Secret.Reveal()+"&issuer=authd&") {
			t.Fatalf("uri %s", en.OTPAuthURI.Reveal())
		}
		if _, err := m.mfa.ConfirmTOTP(ctx, p, fakes.TOTPCode(en.Secret, m.step()-2)); !errors.Is(err, domain.ErrInvalidCode) {
			t.Fatalf("a code two steps old confirmed: %v", err)
		}
		codes, err := m.mfa.ConfirmTOTP(ctx, p, fakes.TOTPCode(en.Secret, m.step()-1))
		if err != nil || len(codes) != 10 {
			t.Fatalf("confirm: %v %d", err, len(codes))
		}
		me, _ := m.store.Users().ByID(ctx, u.ID)
		if !me.MFAEnabled || me.MFAEnabledAt == nil || !me.MFAEnabledAt.Equal(t0) {
			t.Fatalf("user after confirm: %v %v", me.MFAEnabled, me.MFAEnabledAt)
		}
		m.challenge(t)
	})
}

func TestMFALogin(t *testing.T) {
	t.Parallel()
	t.Run("a code signs in once; the next step's code signs in again", func(t *testing.T) {
		m, _, p := newMFAEnv(t)
		secret, _ := m.enable(t, p)
		tok := m.challenge(t)
		if _, err := m.login.LoginMFA(ctx, ports.MFALoginInput{Token: tok, Code: fakes.TOTPCode(secret, m.step())}); !errors.Is(err, domain.ErrInvalidLoginCode) {
			t.Fatalf("the confirming code was accepted again: %v", err)
		}
		s, err := m.login.LoginMFA(ctx, ports.MFALoginInput{Token: tok, Code: fakes.TOTPCode(secret, m.step()+1)})
		if err != nil || s.AccessToken == "" {
			t.Fatalf("next step: %v", err)
		}
		if _, err := m.login.LoginMFA(ctx, ports.MFALoginInput{Token: tok, Code: fakes.TOTPCode(secret, m.step()+1)}); !errors.Is(err, domain.ErrInvalidMFAToken) {
			t.Fatalf("a spent token: %v", err)
		}
		m.clock.Advance(90 * time.Second) // three steps on: the step used is now the previous one's previous
		if _, err := m.login.LoginMFA(ctx, ports.MFALoginInput{Token: m.challenge(t), Code: fakes.TOTPCode(secret, m.step()-1)}); err != nil {
			t.Fatalf("a code of the previous step: %v", err)
		}
	})

	t.Run("the token expires after five minutes and allows five tries", func(t *testing.T) {
		m, _, p := newMFAEnv(t)
		secret, _ := m.enable(t, p)
		tok := m.challenge(t)
		m.clock.Advance(5 * time.Minute)
		if _, err := m.login.LoginMFA(ctx, ports.MFALoginInput{Token: tok, Code: fakes.TOTPCode(secret, m.step())}); !errors.Is(err, domain.ErrInvalidMFAToken) {
			t.Fatalf("an expired token: %v", err)
		}
		tok = m.challenge(t)
		wrong := domain.Secret("abcdef")
		for i := range 5 {
			if _, err := m.login.LoginMFA(ctx, ports.MFALoginInput{Token: tok, Code: wrong}); !errors.Is(err, domain.ErrInvalidLoginCode) {
				t.Fatalf("try %d: %v", i+1, err)
			}
		}
		if _, err := m.login.LoginMFA(ctx, ports.MFALoginInput{Token: tok, Code: fakes.TOTPCode(secret, m.step())}); !errors.Is(err, domain.ErrInvalidMFAToken) {
			t.Fatalf("a sixth try: %v", err)
		}
	})

	t.Run("a recovery code signs in once and the notice counts the rest", func(t *testing.T) {
		m, u, p := newMFAEnv(t)
		_, codes := m.enable(t, p)
		if _, err := m.login.LoginMFA(ctx, ports.MFALoginInput{Token: m.challenge(t), RecoveryCode: domain.Secret(strings.ToUpper(codes[3].Reveal()))}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.login.LoginMFA(ctx, ports.MFALoginInput{Token: m.challenge(t), RecoveryCode: codes[3]}); !errors.Is(err, domain.ErrInvalidLoginCode) {
			t.Fatalf("a used recovery code: %v", err)
		}
		mails := m.store.Enqueued()
		if last := mails[len(mails)-1]; !strings.Contains(last.Text, "9 unused recovery codes remain") || strings.Contains(last.Text, codes[4].Reveal()) {
			t.Fatalf("notice %q", last.Text)
		}
		ev, _ := m.store.Events().ListForUser(ctx, u.ID, "", 10)
		if ev[0].Type != domain.EventLoginFailed && ev[0].Type != domain.EventMFARecoveryCodeUsed {
			t.Fatalf("events %v", ev)
		}
	})

	t.Run("switching off needs a fresh code and makes login plain again", func(t *testing.T) {
		m, u, p := newMFAEnv(t)
		secret, _ := m.enable(t, p)
		if err := m.mfa.DisableTOTP(ctx, p, "correct horse", fakes.TOTPCode(secret, m.step())); !errors.Is(err, domain.ErrInvalidCode) {
			t.Fatalf("a replayed code: %v", err)
		}
		if err := m.mfa.DisableTOTP(ctx, p, "correct horse", fakes.TOTPCode(secret, m.step()+1)); err != nil {
			t.Fatal(err)
		}
		s, err := m.env.login.Login(ctx, ports.LoginInput{Email: "jane@example.com", Password: "correct horse"})
		if err != nil || s.MFA != nil || s.AccessToken == "" {
			t.Fatalf("login after switching off: %+v %v", s, err)
		}
		if n, _ := m.store.RecoveryCodes().CountUnused(ctx, u.ID); n != 0 {
			t.Fatalf("%d recovery codes left", n)
		}
	})
}
