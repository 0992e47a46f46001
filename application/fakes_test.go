package application

import (
	"bytes"
	"io"
	"log/slog"
	"time"

	"authd/application/fakes"
)

// The use-case tests run on the fakes of authd/application/fakes, which are held
// to the same contract suites as the real adapters (test/fakes_test.go).

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// env wires the use cases on fakes, as cmd wires them on adapters.
type env struct {
	clock    *fakes.Clock
	random   *fakes.Random
	store    *fakes.Store
	hasher   *fakes.Hasher
	settings Settings
	logs     *bytes.Buffer

	denylist     *fakes.Denylist
	counters     *fakes.Counters
	guard        *AbuseGuard
	issuer       *SessionIssuer
	revocations  *Revocations
	refresh      *Refresh
	logout       *Logout
	change       *PasswordChange
	deactivation *Deactivation
	sessions     *Sessions
	reset        *PasswordReset
	verification *EmailVerification
	registration *Registration
	login        *Login
	auth         *Authenticator
	profile      *Profile
}

func newEnv(mod ...func(*Settings)) *env {
	settings := DefaultSettings()
	settings.HMACKey = "test hmac key, 32 bytes at least!"
	clock := fakes.NewClock(t0)
	e := &env{clock: clock, random: &fakes.Random{}, store: fakes.NewStore(), hasher: &fakes.Hasher{}, settings: settings, logs: &bytes.Buffer{},
		denylist: fakes.NewDenylist(clock), counters: fakes.NewCounters(clock)}
	for _, m := range mod {
		m(&e.settings)
	}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(e.logs), nil))
	st := e.store
	st.SetAccountVersions(e.denylist)
	stores := Stores{Tx: st, Users: st.Users(), Sessions: st.Sessions(), Tokens: st.Tokens(), Outbox: st.Outbox(), Attempts: st.Attempts(), Events: st.Events()}
	run := Env{Clock: e.clock, Random: e.random, Settings: e.settings, Log: log}
	e.issuer = NewSessionIssuer(stores, run, fakes.Issuer{})
	e.guard = NewAbuseGuard(e.counters, stores, run)
	e.verification = NewEmailVerification(stores, run, e.guard)
	e.registration = NewRegistration(stores, run, e.hasher, e.verification, e.issuer, e.guard)
	e.login = NewLogin(stores, run, e.hasher, e.issuer, e.guard)
	e.revocations = NewRevocations(st.Sessions(), e.denylist, e.clock, e.settings, log)
	e.auth = NewAuthenticator(fakes.Issuer{}, e.revocations, e.clock)
	e.refresh = NewRefresh(stores, run, e.issuer, e.revocations)
	e.logout = NewLogout(stores, run, e.revocations)
	e.change = NewPasswordChange(stores, run, e.hasher, e.issuer, e.revocations)
	e.reset = NewPasswordReset(stores, run, e.hasher, e.revocations, e.guard)
	e.deactivation = NewDeactivation(stores, run, e.hasher, e.revocations)
	e.sessions = NewSessions(stores, run, e.revocations)
	e.profile = NewProfile(st.Users(), e.denylist, e.clock, nil)
	return e
}
