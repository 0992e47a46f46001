package test

import (
	"testing"
	"time"

	"authd/application/fakes"
	"authd/test/contract"
)

// The fakes the use-case tests run on are held to the same contract suites as
// the real adapters, so they cannot drift from what the ports promise.

func newFakeStore(*testing.T) contract.Store {
	st := fakes.NewStore()
	return contract.Store{Tx: st, Users: st.Users(), Sessions: st.Sessions(), Tokens: st.Tokens(), Outbox: st.Outbox(), Attempts: st.Attempts(), Events: st.Events(),
		TOTP: st.TOTP(), RecoveryCodes: st.RecoveryCodes(), KeyRing: st.KeyRing()}
}

func TestFakeUsers(t *testing.T)         { t.Parallel(); contract.Users(t, newFakeStore) }
func TestFakeSessions(t *testing.T)      { t.Parallel(); contract.Sessions(t, newFakeStore) }
func TestFakeOneTimeTokens(t *testing.T) { t.Parallel(); contract.OneTimeTokens(t, newFakeStore) }
func TestFakeOutbox(t *testing.T)        { t.Parallel(); contract.Outbox(t, newFakeStore) }
func TestFakeTransactor(t *testing.T)    { t.Parallel(); contract.Transactor(t, newFakeStore) }
func TestFakeTokenAttempts(t *testing.T) { t.Parallel(); contract.TokenAttempts(t, newFakeStore) }
func TestFakeAttemptLog(t *testing.T)    { t.Parallel(); contract.AttemptLog(t, newFakeStore) }
func TestFakeAccounts(t *testing.T)      { t.Parallel(); contract.Accounts(t, newFakeStore) }

func TestFakeDenylist(t *testing.T) {
	t.Parallel()
	contract.TokenDenylist(t, func(t *testing.T) contract.DenylistHarness {
		clock := fakes.NewClock(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
		d := fakes.NewDenylist(clock)
		return contract.DenylistHarness{Denylist: d, Advance: clock.Advance, Now: clock.Now, Lose: d.Lose}
	})
}

func TestFakeCounters(t *testing.T) {
	t.Parallel()
	contract.AbuseCounters(t, func(t *testing.T) contract.CountersHarness {
		clock := fakes.NewClock(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
		return contract.CountersHarness{Counters: fakes.NewCounters(clock), Now: clock.Now, Advance: clock.Advance}
	})
}
func TestFakeKeyRing(t *testing.T) { t.Parallel(); contract.KeyRing(t, newFakeStore) }
