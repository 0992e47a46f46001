package application

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"authd/domain"
	"authd/ports"
)

func TestAbuseLimits(t *testing.T) {
	t.Parallel()
	client := ports.Client{IP: "203.0.113.7"}
	login := func(e *env, email string, password domain.Secret) error {
		_, err := e.login.Login(ctx, ports.LoginInput{Email: email, Password: password, Client: client})
		return err
	}
	limited := func(t *testing.T, err error) time.Duration {
		t.Helper()
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != "rate_limited" {
			t.Fatalf("got %v, want rate_limited", err)
		}
		return de.RetryAfter
	}
	small := func(s *Settings) { s.Abuse.LoginMaxFailures = 3 }

	t.Run("an account locks after the limit, with the right password too, and opens when failures leave the window", func(t *testing.T) {
		e := newEnv(small)
		registered(t, e)
		for range 3 {
			if err := login(e, "jane@example.com", "wrong password"); !errors.Is(err, domain.ErrInvalidCredentials) {
				t.Fatal(err)
			}
			e.clock.Advance(time.Minute)
		}
		retry := limited(t, login(e, "jane@example.com", "correct horse"))
		if want := 12 * time.Minute; retry != want {
			t.Fatalf("retry after %s, want %s (the first failure leaves the window then)", retry, want)
		}
		e.clock.Advance(retry)
		if err := login(e, "jane@example.com", "correct horse"); err != nil {
			t.Fatalf("after retry-after: %v", err)
		}
	})

	t.Run("unknown emails are counted and refused exactly like known ones", func(t *testing.T) {
		e := newEnv(small)
		registered(t, e)
		var known, unknown []string
		for range 4 {
			known = append(known, errCode(login(e, "jane@example.com", "wrong password")))
			unknown = append(unknown, errCode(login(e, "nobody@example.com", "wrong password")))
		}
		if strings.Join(known, ",") != strings.Join(unknown, ",") || known[3] != "rate_limited" {
			t.Fatalf("known %v, unknown %v", known, unknown)
		}
	})

	t.Run("a successful login clears the count", func(t *testing.T) {
		e := newEnv(small)
		registered(t, e)
		for range 2 {
			login(e, "jane@example.com", "wrong password")
		}
		if err := login(e, "jane@example.com", "correct horse"); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := login(e, "jane@example.com", "wrong password"); !errors.Is(err, domain.ErrInvalidCredentials) {
				t.Fatalf("count not cleared: %v", err)
			}
		}
	})

	t.Run("a locked account can reset its password, which clears the count", func(t *testing.T) {
		e := newEnv(small)
		registered(t, e)
		for range 3 {
			login(e, "jane@example.com", "wrong password")
		}
		limited(t, login(e, "jane@example.com", "correct horse"))
		if err := e.reset.Forgot(ctx, "jane@example.com", "link", client); err != nil {
			t.Fatal(err)
		}
		if err := e.reset.Reset(ctx, ports.ResetInput{Token: resetLink(t, e), NewPassword: "a new secret phrase", Client: client}); err != nil {
			t.Fatal(err)
		}
		if err := login(e, "jane@example.com", "a new secret phrase"); err != nil {
			t.Fatalf("login after reset: %v", err)
		}
	})

	t.Run("parallel wrong logins never get more than the limit judged", func(t *testing.T) {
		e := newEnv(func(s *Settings) { s.Abuse.LoginMaxFailures = 10 })
		registered(t, e)
		before := e.hasher.Verifies()
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[string]int{}
		for range 20 {
			wg.Go(func() {
				c := errCode(login(e, "jane@example.com", "wrong password"))
				mu.Lock()
				codes[c]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes["invalid_credentials"] != 10 || codes["rate_limited"] != 10 || e.hasher.Verifies()-before != 10 {
			t.Fatalf("answers %v, passwords judged %d", codes, e.hasher.Verifies()-before)
		}
	})

	t.Run("reaching the limit mails the owner one notice per window", func(t *testing.T) {
		e := newEnv(small)
		registered(t, e)
		notices := func() int {
			n := 0
			for _, m := range e.store.Enqueued() {
				if strings.Contains(m.Subject, "Unusual sign-in") {
					n++
					if strings.Contains(m.Text, "http") {
						t.Fatal("the notice carries a link")
					}
				}
			}
			return n
		}
		for range 6 {
			login(e, "jane@example.com", "wrong password")
		}
		e.clock.Advance(13 * time.Minute) // the first failure has left the window
		login(e, "jane@example.com", "wrong password")
		if n := notices(); n != 1 {
			t.Fatalf("%d notices, want 1", n)
		}
	})

	t.Run("failures of one IP across accounts, codes and tokens lock that IP only", func(t *testing.T) {
		e := newEnv(func(s *Settings) { s.Abuse.IPMaxFailures = 3 })
		registered(t, e)
		login(e, "a@example.com", "wrong password")
		e.verification.Verify(ctx, "no-such-token", client)
		e.reset.Reset(ctx, ports.ResetInput{Token: "no-such-token", NewPassword: "a new secret phrase", Client: client})
		limited(t, login(e, "jane@example.com", "correct horse"))
		limited(t, e.verification.Verify(ctx, "another", client))
		limited(t, e.reset.Reset(ctx, ports.ResetInput{Email: "jane@example.com", OTP: "123456", NewPassword: "a new secret phrase", Client: client}))
		if _, err := e.login.Login(ctx, ports.LoginInput{Email: "jane@example.com", Password: "correct horse", Client: ports.Client{IP: "198.51.100.1"}}); err != nil {
			t.Fatalf("another IP: %v", err)
		}
	})

	t.Run("an IPv6 client is one client across its /64", func(t *testing.T) {
		e := newEnv(func(s *Settings) { s.Abuse.IPMaxFailures = 2 })
		for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"} {
			e.login.Login(ctx, ports.LoginInput{Email: "x@example.com", Password: "wrong password", Client: ports.Client{IP: ip}})
		}
		_, err := e.login.Login(ctx, ports.LoginInput{Email: "y@example.com", Password: "wrong password", Client: ports.Client{IP: "2001:db8:1:2::abcd"}})
		limited(t, err)
	})

	t.Run("mail requests of one IP are capped per hour, together", func(t *testing.T) {
		e := newEnv(func(s *Settings) { s.Abuse.IPMailRate = 3 })
		in := validInput()
		in.Client = client
		if _, err := e.registration.Register(ctx, in); err != nil {
			t.Fatal(err)
		}
		if err := e.verification.Resend(ctx, "jane@example.com", client); err != nil {
			t.Fatal(err)
		}
		if err := e.reset.Forgot(ctx, "jane@example.com", "link", client); err != nil {
			t.Fatal(err)
		}
		before := len(e.store.Enqueued())
		retry := limited(t, e.reset.Forgot(ctx, "jane@example.com", "link", client))
		if retry <= 0 || retry > time.Hour || len(e.store.Enqueued()) != before {
			t.Fatalf("retry after %s; mails %d → %d", retry, before, len(e.store.Enqueued()))
		}
	})

	t.Run("resend mails one account at most five times an hour, and answers the same", func(t *testing.T) {
		e := newEnv(func(s *Settings) { s.Abuse.IPMailRate = 0 })
		in := validInput()
		e.registration.Register(ctx, in)
		before := len(e.store.Enqueued())
		for range 7 {
			if err := e.verification.Resend(ctx, "jane@example.com", client); err != nil {
				t.Fatal(err)
			}
		}
		if sent := len(e.store.Enqueued()) - before; sent != 5 {
			t.Fatalf("%d verification mails sent, want 5", sent)
		}
	})

	t.Run("every limit is off at 0", func(t *testing.T) {
		e := newEnv(func(s *Settings) { s.Abuse = AbuseLimits{FailureWindow: 15 * time.Minute} })
		registered(t, e)
		for range 30 {
			login(e, "jane@example.com", "wrong password")
		}
		if err := login(e, "jane@example.com", "correct horse"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("the limiter store down refuses with 503, never runs unlimited", func(t *testing.T) {
		e := newEnv()
		registered(t, e)
		e.counters.Down(domain.WrapUnavailable(errors.New("memcached: connection refused")))
		if err := login(e, "jane@example.com", "correct horse"); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("login: %v", err)
		}
		if err := e.reset.Forgot(ctx, "jane@example.com", "", client); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("forgot: %v", err)
		}
		e.counters.Down(nil)
		if err := login(e, "jane@example.com", "correct horse"); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
	})
}

// errCode is the contract code of err, or "" for nil.
func errCode(err error) string {
	if err == nil {
		return ""
	}
	return domain.AsError(err).Code
}
