package fakes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"authd/domain"
	"authd/ports"
)

// Clock is a clock that tests move by hand.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

var _ ports.Clock = (*Clock)(nil)

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now tells the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// Random counts instead of drawing, so tests can predict ids and secrets.
type Random struct {
	mu sync.Mutex
	n  int
}

var _ ports.Random = (*Random)(nil)

func (r *Random) next() int { r.mu.Lock(); defer r.mu.Unlock(); r.n++; return r.n }

// NewID returns id-0001, id-0002, ...
func (r *Random) NewID() string { return fmt.Sprintf("id-%04d", r.next()) }

// Secret returns a distinct, recognisable secret.
func (r *Random) Secret() (domain.Secret, error) {
	return domain.Secret(fmt.Sprintf("secret-%04d-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", r.next())), nil
}

// Digits returns the counter as n digits.
func (r *Random) Digits(n int) (domain.Secret, error) {
	return domain.Secret(fmt.Sprintf("%0*d", n, r.next()%1000000)), nil
}

// Hasher "hashes" by prefixing; hashes starting with "old:" ask for a rehash.
// It counts the verifications it did.
type Hasher struct {
	mu       sync.Mutex
	verifies int
}

var _ ports.PasswordHasher = (*Hasher)(nil)

// Hash returns "hash:" + the password.
func (h *Hasher) Hash(_ context.Context, secret domain.Secret) (string, error) {
	return "hash:" + secret.Reveal(), nil
}

// Verify matches "hash:" and "old:" hashes; "old:" ones ask for a rehash.
func (h *Hasher) Verify(_ context.Context, hash string, secret domain.Secret) (bool, bool, error) {
	pw := secret.Reveal()
	h.mu.Lock()
	h.verifies++
	h.mu.Unlock()
	switch {
	case strings.HasPrefix(hash, "hash:"):
		return hash == "hash:"+pw, false, nil
	case strings.HasPrefix(hash, "old:"):
		return hash == "old:"+pw, hash == "old:"+pw, nil
	}
	return false, false, errors.New("malformed hash")
}

// Verifies is how many passwords were checked.
func (h *Hasher) Verifies() int { h.mu.Lock(); defer h.mu.Unlock(); return h.verifies }

// Issuer encodes claims readably; tokens are "at|sub|sid|email|role|exp-unix".
type Issuer struct{}

var _ ports.TokenIssuer = Issuer{}

// Issue encodes c.
func (Issuer) Issue(c ports.AccessClaims) (string, error) {
	return fmt.Sprintf("at|%s|%s|%s|%s|%d", c.UserID, c.SessionID, c.Email, c.Role, c.ExpiresAt.Unix()), nil
}

// Verify decodes a token of Issue that has not expired at now.
func (Issuer) Verify(tok string, now time.Time) (ports.AccessClaims, error) {
	var c ports.AccessClaims
	p := strings.Split(tok, "|")
	if len(p) != 6 || p[0] != "at" {
		return c, domain.ErrInvalidToken
	}
	var exp int64
	if _, err := fmt.Sscan(p[5], &exp); err != nil || !now.Before(time.Unix(exp, 0)) {
		return c, domain.ErrInvalidToken
	}
	email, _ := domain.ParseEmail(p[3])
	return ports.AccessClaims{UserID: domain.UserID(p[1]), SessionID: domain.SessionID(p[2]), Email: email, Role: domain.Role(p[4]),
		ExpiresAt: time.Unix(exp, 0).UTC()}, nil
}

// Mailer records deliveries and fails while Failing is set.
type Mailer struct {
	mu      sync.Mutex
	sent    []domain.Message
	failing error
}

var _ ports.Mailer = (*Mailer)(nil)

// Send records msg, or fails.
func (m *Mailer) Send(_ context.Context, msg domain.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing != nil {
		return m.failing
	}
	m.sent = append(m.sent, msg)
	return nil
}

// Fail makes every Send fail with err until Fail(nil).
func (m *Mailer) Fail(err error) { m.mu.Lock(); m.failing = err; m.mu.Unlock() }

// Sent returns the delivered messages, oldest first.
func (m *Mailer) Sent() []domain.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]domain.Message(nil), m.sent...)
}

// Denylist is stale until seeded, like a fresh process; Lose forgets
// everything, like a restarted memcached; Down makes every call fail.
type Denylist struct {
	clock ports.Clock

	mu       sync.Mutex
	revoked  map[domain.SessionID]time.Time
	versions map[domain.UserID]string
	bumps    int
	seeded   bool
	down     error
	seeds    int
}

var (
	_ ports.TokenDenylist   = (*Denylist)(nil)
	_ ports.AccountVersions = (*Denylist)(nil)
)

// NewDenylist returns an empty, unseeded denylist judging expiry by clock; it
// keeps account versions too, as the memcached one does.
func NewDenylist(clock ports.Clock) *Denylist {
	return &Denylist{clock: clock, revoked: map[domain.SessionID]time.Time{}, versions: map[domain.UserID]string{}}
}

// ContainsForUser is Contains with the account's version.
func (d *Denylist) ContainsForUser(ctx context.Context, id domain.SessionID, user domain.UserID) (bool, string, error) {
	revoked, err := d.Contains(ctx, id)
	if err != nil {
		return false, "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return revoked, d.versions[user], nil
}

// Bump gives the account a new version.
func (d *Denylist) Bump(_ context.Context, id domain.UserID) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down != nil {
		return d.down
	}
	d.bumps++
	d.versions[id] = fmt.Sprintf("v%d", d.bumps)
	return nil
}

// Start gives a version to an account that has none.
func (d *Denylist) Start(_ context.Context, id domain.UserID) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down != nil {
		return "", d.down
	}
	if _, ok := d.versions[id]; ok {
		return "", nil
	}
	d.bumps++
	d.versions[id] = fmt.Sprintf("v%d", d.bumps)
	return d.versions[id], nil
}

// Add records revocations until their AccessUntil.
func (d *Denylist) Add(_ context.Context, revs ...domain.Revocation) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down != nil {
		return d.down
	}
	for _, r := range revs {
		if r.AccessUntil.After(d.revoked[r.SessionID]) {
			d.revoked[r.SessionID] = r.AccessUntil
		}
	}
	return nil
}

// Contains reports a live revocation of id.
func (d *Denylist) Contains(_ context.Context, id domain.SessionID) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.down != nil:
		return false, d.down
	case !d.seeded:
		return false, ports.ErrDenylistStale
	}
	until, ok := d.revoked[id]
	return ok && d.clock.Now().Before(until), nil
}

// MarkSeeded trusts the denylist from now on.
func (d *Denylist) MarkSeeded(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down != nil {
		return d.down
	}
	d.seeded = true
	d.seeds++
	return nil
}

// Ping fails while the denylist is down.
func (d *Denylist) Ping(context.Context) error { d.mu.Lock(); defer d.mu.Unlock(); return d.down }

// Lose forgets every entry and the seed, as a restarted server would.
func (d *Denylist) Lose() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.revoked, d.versions, d.seeded = map[domain.SessionID]time.Time{}, map[domain.UserID]string{}, false
}

// Down makes every call fail with err (nil: answers again).
func (d *Denylist) Down(err error) { d.mu.Lock(); d.down = err; d.mu.Unlock() }

// Seeds is how often the denylist was marked seeded.
func (d *Denylist) Seeds() int { d.mu.Lock(); defer d.mu.Unlock(); return d.seeds }

// Counters keeps every event's time: an exact sliding window. Down makes
// every call fail.
type Counters struct {
	clock ports.Clock

	mu     sync.Mutex
	events map[string][]time.Time
	marks  map[string]time.Time
	down   error
}

var _ ports.AbuseCounters = (*Counters)(nil)

// NewCounters returns empty counters judging once-markers by clock.
func NewCounters(clock ports.Clock) *Counters {
	return &Counters{clock: clock, events: map[string][]time.Time{}, marks: map[string]time.Time{}}
}

func windowKey(key string, window time.Duration) string { return key + "/" + window.String() }

// Hit adds one event and returns the window.
func (c *Counters) Hit(_ context.Context, key string, window time.Duration, now time.Time) (ports.Window, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down != nil {
		return ports.Window{}, c.down
	}
	k := windowKey(key, window)
	var live []time.Time
	for _, at := range c.events[k] {
		if now.Before(at.Add(window)) {
			live = append(live, at)
		}
	}
	c.events[k] = append(live, now)
	var w ports.Window
	for _, at := range c.events[k] {
		w.Count++
		w.Leaving = append(w.Leaving, ports.Departure{At: at.Add(window), N: 1})
	}
	return w, nil
}

// Unhit takes back one event at at.
func (c *Counters) Unhit(_ context.Context, key string, window time.Duration, at time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down != nil {
		return c.down
	}
	k := windowKey(key, window)
	ev := c.events[k]
	for i := len(ev) - 1; i >= 0; i-- {
		if ev[i].Equal(at) {
			c.events[k] = append(ev[:i:i], ev[i+1:]...)
			break
		}
	}
	return nil
}

// Clear forgets key's events.
func (c *Counters) Clear(_ context.Context, key string, window time.Duration, _ time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down != nil {
		return c.down
	}
	delete(c.events, windowKey(key, window))
	return nil
}

// First is true once per ttl for key.
func (c *Counters) First(_ context.Context, key string, ttl time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down != nil {
		return false, c.down
	}
	now := c.clock.Now()
	if now.Before(c.marks[key]) {
		return false, nil
	}
	c.marks[key] = now.Add(ttl)
	return true, nil
}

// Ping fails while the counters are down.
func (c *Counters) Ping(context.Context) error { c.mu.Lock(); defer c.mu.Unlock(); return c.down }

// Down makes every call fail with err (nil: answers again).
func (c *Counters) Down(err error) { c.mu.Lock(); c.down = err; c.mu.Unlock() }

// Entries is how many revocations the denylist holds.
func (d *Denylist) Entries() int { d.mu.Lock(); defer d.mu.Unlock(); return len(d.revoked) }
