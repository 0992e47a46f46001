package application

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"authd/domain"
	"authd/ports"
)

// AbuseLimits are the contract's brute-force and mail limits; 0 switches one off.
type AbuseLimits struct {
	// LoginMaxFailures failed logins per normalised email within FailureWindow,
	// after which every login for that email answers 429.
	LoginMaxFailures int
	// FailureWindow is the sliding window of both failure limits.
	FailureWindow time.Duration
	// IPMaxFailures failures (logins, codes, tokens) per client IP within FailureWindow.
	IPMaxFailures int
	// IPMailRate register/resend/forgot/email-change requests per client IP per hour.
	IPMailRate int
}

// DefaultAbuseLimits are the contract's defaults.
var DefaultAbuseLimits = AbuseLimits{LoginMaxFailures: 10, FailureWindow: 15 * time.Minute, IPMaxFailures: 100, IPMailRate: 30}

// mailWindow is the window of the per-IP mail rate.
const mailWindow = time.Hour

// Key spaces of the abuse counters. Emails are hashed so that no address is
// stored in a shared cache.
const (
	keyAccountFailures = "acct:"
	keyIPFailures      = "ipf:"
	keyIPMail          = "ipm:"
	keyLockNotice      = "lockmail:"
)

// AbuseGuard applies the abuse limits. Every guessing attempt is counted
// before it is judged and taken back when it turns out right, so parallel
// attempts on any number of instances can never get more guesses through than a
// limit allows; a refused attempt changes nothing. Unknown emails are counted
// exactly like known ones, so no answer tells them apart.
type AbuseGuard struct {
	counters ports.AbuseCounters
	events   recorder
	outbox   ports.Outbox
	random   ports.Random
	clock    ports.Clock
	limits   AbuseLimits
	log      *slog.Logger
	metrics  ports.Metrics
}

// NewAbuseGuard builds the guard on the shared counters; the outbox carries the
// "unusual sign-in attempts" notice.
func NewAbuseGuard(counters ports.AbuseCounters, st Stores, env Env) *AbuseGuard {
	return &AbuseGuard{counters: counters, events: newRecorder(st, env), outbox: st.Outbox, random: env.Random, clock: env.Clock, limits: env.Settings.Abuse, log: env.Log, metrics: orNop(env.Metrics)}
}

// attempt is one guess counted against its limits before it is judged.
type attempt struct {
	g       *AbuseGuard
	at      time.Time
	hits    []counted
	account int // the account's failures with this one, when it is a login
}

// counted is one counter that an attempt added to.
type counted struct {
	key         string
	window      time.Duration
	clearOnPass bool
}

// beginLogin counts a login attempt against the client IP and the account, or
// refuses it with rate_limited when either is at its limit.
func (g *AbuseGuard) beginLogin(ctx context.Context, email domain.Email, ip string) (*attempt, error) {
	a := &attempt{g: g, at: g.clock.Now()}
	ipRule := g.ipRule(keyIPFailures, ip, g.limits.IPMaxFailures)
	ipRule.name = "ip_failures"
	account := rule{name: "account_failures", key: keyAccountFailures + hashKey(email.String()), limit: g.limits.LoginMaxFailures,
		window: g.limits.FailureWindow, clearOnPass: true}
	wins, err := a.hitAll(ctx, ipRule, account)
	if err != nil {
		return nil, err
	}
	a.account = wins[1].Count
	return a, nil
}

// beginGuess counts a guess of a code or token against the client IP.
func (g *AbuseGuard) beginGuess(ctx context.Context, ip string) (*attempt, error) {
	a := &attempt{g: g, at: g.clock.Now()}
	if err := a.hit(ctx, g.ipRule(keyIPFailures, ip, g.limits.IPMaxFailures), "ip_failures"); err != nil {
		return nil, err
	}
	return a, nil
}

// mailRequest counts a request that sends mail (register, resend, forgot, email
// change) against the client IP, or refuses it with rate_limited.
func (g *AbuseGuard) mailRequest(ctx context.Context, ip string) error {
	a := &attempt{g: g, at: g.clock.Now()}
	r := g.ipRule(keyIPMail, ip, g.limits.IPMailRate)
	r.window = mailWindow
	return a.hit(ctx, r, "ip_mail")
}

// clearAccount forgets the account's failed logins (after a password reset).
func (g *AbuseGuard) clearAccount(ctx context.Context, email domain.Email) {
	if g.limits.LoginMaxFailures <= 0 {
		return
	}
	key := keyAccountFailures + hashKey(email.String())
	if err := g.counters.Clear(ctx, key, g.limits.FailureWindow, g.clock.Now()); err != nil {
		g.log.WarnContext(ctx, "abuse_counter_clear_failed", "error", err)
	}
}

// rule is one limit on one key.
type rule struct {
	name        string // for logs and metrics
	key         string
	limit       int
	window      time.Duration
	clearOnPass bool // an attempt that proves right forgets every earlier failure
}

// ipRule is the rule of a per-IP limit; a zero rule (no limit) when the limit is
// off or the IP is unknown.
func (g *AbuseGuard) ipRule(space, ip string, limit int) rule {
	if ip == "" || limit <= 0 {
		return rule{}
	}
	return rule{key: space + ipKey(ip), limit: limit, window: g.limits.FailureWindow}
}

func (a *attempt) hit(ctx context.Context, r rule, name string) error {
	r.name = name
	_, err := a.hitAll(ctx, r)
	return err
}

// hitAll counts the attempt under every rule at once (the counters are asked
// in parallel, so several limits cost the latency of one); over any limit it
// takes back everything this attempt counted and answers rate_limited with the
// longest wait. Rules without a limit are skipped (their window is zero).
func (a *attempt) hitAll(ctx context.Context, rules ...rule) ([]ports.Window, error) {
	wins := make([]ports.Window, len(rules))
	errs := make([]error, len(rules))
	var wg sync.WaitGroup
	for i, r := range rules {
		if r.limit <= 0 || r.window <= 0 {
			continue
		}
		wg.Go(func() { wins[i], errs[i] = a.g.counters.Hit(ctx, r.key, r.window, a.at) })
	}
	wg.Wait()
	var failed error
	for i, r := range rules {
		if r.limit <= 0 || r.window <= 0 {
			continue
		}
		if errs[i] != nil {
			failed = errs[i]
			continue
		}
		a.hits = append(a.hits, counted{key: r.key, window: r.window, clearOnPass: r.clearOnPass})
	}
	if failed != nil {
		a.undo(ctx)
		return nil, fmt.Errorf("abuse limits: %w", failed)
	}
	var limited *domain.Error
	for i, r := range rules {
		if r.limit <= 0 || r.window <= 0 || !wins[i].Over(r.limit) {
			continue
		}
		a.g.log.InfoContext(ctx, "rate_limited", "rule", r.name)
		a.g.metrics.RateLimited(r.name)
		if wait := wins[i].RetryAfter(r.limit, a.at); limited == nil || wait > limited.RetryAfter {
			limited = &domain.Error{Kind: domain.RateLimited, Code: domain.ErrRateLimited.Code, Message: domain.ErrRateLimited.Message,
				RetryAfter: wait}
		}
	}
	if limited != nil {
		a.undo(ctx)
		return wins, limited
	}
	return wins, nil
}

// undo takes back every count of the attempt: it was refused, or it was no guess.
func (a *attempt) undo(ctx context.Context) {
	a.settle(ctx, false)
}

// passed ends an attempt that proved right: it is not a failure, and a login's
// account count is cleared.
func (a *attempt) passed(ctx context.Context) {
	a.settle(ctx, true)
}

// settle takes back the attempt's counts, in parallel; with clear, a count
// that clears on success is forgotten whole — unless this attempt was its only
// event, when taking it back is the same and one round trip cheaper.
func (a *attempt) settle(ctx context.Context, clear bool) {
	var wg sync.WaitGroup
	for _, h := range a.hits {
		wg.Go(func() {
			var err error
			if clear && h.clearOnPass && a.account != 1 {
				err = a.g.counters.Clear(ctx, h.key, h.window, a.at)
			} else {
				err = a.g.counters.Unhit(ctx, h.key, h.window, a.at)
			}
			if err != nil {
				a.g.log.WarnContext(ctx, "abuse_counter_undo_failed", "error", err)
			}
		})
	}
	wg.Wait()
	a.hits = nil
}

// failedLogin keeps the attempt's counts and, when it brought an existing active
// account to its limit, mails the owner one notice per window.
func (a *attempt) failedLogin(ctx context.Context, u *domain.User) {
	g := a.g
	if u == nil || u.Deactivated() || g.limits.LoginMaxFailures <= 0 || a.account < g.limits.LoginMaxFailures {
		return
	}
	first, err := g.counters.First(ctx, keyLockNotice+hashKey(u.Email.String()), g.limits.FailureWindow)
	if err != nil || !first {
		if err != nil {
			g.log.WarnContext(ctx, "lock_notice_failed", "user_id", u.ID, "error", err)
		}
		return
	}
	msg, err := renderMail(g.random.NewID(), u.Email, "login_locked", mailData{
		Subject: "Unusual sign-in attempts on your account", Name: u.Profile.FirstName, Valid: humanDuration(g.limits.FailureWindow),
	})
	if err == nil {
		err = g.outbox.Enqueue(ctx, msg, g.clock.Now())
	}
	if err != nil {
		g.log.WarnContext(ctx, "lock_notice_failed", "user_id", u.ID, "error", err)
		return
	}
	if err := g.events.record(ctx, domain.EventLoginLocked, u.ID, "", ""); err != nil {
		g.log.WarnContext(ctx, "lock_event_failed", "user_id", u.ID, "error", err)
	}
	g.log.InfoContext(ctx, "login_locked", "user_id", u.ID)
}

// ipKey is the counter key of a client IP: IPv4 as is, IPv6 by its /64, since
// one client is usually handed a whole /64.
func ipKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
