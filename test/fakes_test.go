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

func TestFakeUsers(t *testing.T)         { contract.Users(t, newFakeStore) }
func TestFakeSessions(t *testing.T)      { contract.Sessions(t, newFakeStore) }
func TestFakeOneTimeTokens(t *testing.T) { contract.OneTimeTokens(t, newFakeStore) }
func TestFakeOutbox(t *testing.T)        { contract.Outbox(t, newFakeStore) }
func TestFakeTransactor(t *testing.T)    { contract.Transactor(t, newFakeStore) }
func TestFakeTokenAttempts(t *testing.T) { contract.TokenAttempts(t, newFakeStore) }
func TestFakeAttemptLog(t *testing.T)    { contract.AttemptLog(t, newFakeStore) }
func TestFakeAccounts(t *testing.T)      { contract.Accounts(t, newFakeStore) }

func TestFakeDenylist(t *testing.T) {
	contract.TokenDenylist(t, func(t *testing.T) contract.DenylistHarness {
		clock := fakes.NewClock(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
		d := fakes.NewDenylist(clock)
		return contract.DenylistHarness{Denylist: d, Advance: clock.Advance, Now: clock.Now, Lose: d.Lose}
	})
}

func TestFakeCounters(t *testing.T) {
	contract.AbuseCounters(t, func(t *testing.T) contract.CountersHarness {
		clock := fakes.NewClock(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
		return contract.CountersHarness{Counters: fakes.NewCounters(clock), Now: clock.Now, Advance: clock.Advance}
	})
}
func TestFakeKeyRing(t *testing.T) { contract.KeyRing(t, newFakeStore) }
