package application

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"authd/domain"
	"authd/ports"
)

// Hand-written fakes of the outbound ports: just enough behaviour to test the use
// cases; the real adapters are held to the same ports by the contract suites.

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fakeRandom struct {
	mu sync.Mutex
	n  int
}

func (r *fakeRandom) next() int     { r.mu.Lock(); defer r.mu.Unlock(); r.n++; return r.n }
func (r *fakeRandom) NewID() string { return fmt.Sprintf("id-%04d", r.next()) }
func (r *fakeRandom) Secret() (domain.Secret, error) {
	return domain.Secret(fmt.Sprintf("secret-%04d-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", r.next())), nil
}
func (r *fakeRandom) Digits(n int) (domain.Secret, error) {
	return domain.Secret(fmt.Sprintf("%0*d", n, r.next()%1000000)), nil
}

// fakeHasher "hashes" by prefixing; hashes starting with "old:" ask for a rehash.
type fakeHasher struct {
	mu       sync.Mutex
	verifies int
}

func (h *fakeHasher) Hash(_ context.Context, secret domain.Secret) (string, error) {
	return "hash:" + secret.Reveal(), nil
}
func (h *fakeHasher) Verify(_ context.Context, hash string, secret domain.Secret) (bool, bool, error) {
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

// fakeIssuer encodes claims readably; tokens are "at|sub|sid|exp-unix".
type fakeIssuer struct{}

func (fakeIssuer) Issue(c ports.AccessClaims) (string, error) {
	return fmt.Sprintf("at|%s|%s|%s|%s|%d", c.UserID, c.SessionID, c.Email, c.Role, c.ExpiresAt.Unix()), nil
}
func (fakeIssuer) Verify(tok string, now time.Time) (ports.AccessClaims, error) {
	var c ports.AccessClaims
	p := strings.Split(tok, "|")
	if len(p) != 6 || p[0] != "at" {
		return c, domain.ErrInvalidToken
	}
	var exp int64
	fmt.Sscan(p[5], &exp)
	if !now.Before(time.Unix(exp, 0)) {
		return c, domain.ErrInvalidToken
	}
	email, _ := domain.ParseEmail(p[3])
	return ports.AccessClaims{UserID: domain.UserID(p[1]), SessionID: domain.SessionID(p[2]), Email: email, Role: domain.Role(p[4]), ExpiresAt: time.Unix(exp, 0).UTC()}, nil
}

// memStore implements every storage port in memory.
type memStore struct {
	mu       sync.Mutex
	users    map[domain.UserID]domain.User
	sessions map[domain.SessionID]domain.Session
	refresh  map[string]domain.RefreshToken
	tokens   map[string]domain.OneTimeToken
	outbox   []domain.OutboxMessage
	sent     map[string]bool
	dead     map[string]bool
	leases   map[string]time.Time
	events   map[string][]time.Time
	failNext error // returned once by the next repository call
}

func newStore() *memStore {
	return &memStore{
		users: map[domain.UserID]domain.User{}, sessions: map[domain.SessionID]domain.Session{},
		refresh: map[string]domain.RefreshToken{}, tokens: map[string]domain.OneTimeToken{},
		sent: map[string]bool{}, dead: map[string]bool{}, leases: map[string]time.Time{}, events: map[string][]time.Time{},
	}
}

func (s *memStore) lock() error {
	s.mu.Lock()
	if err := s.failNext; err != nil {
		s.failNext = nil
		s.mu.Unlock()
		return err
	}
	return nil
}

type txKey struct{}

// WithinTx restores every map when fn fails, as a real rollback would.
func (s *memStore) WithinTx(ctx context.Context, fn func(context.Context) error) error {
	if ctx.Value(txKey{}) != nil {
		return fn(ctx)
	}
	s.mu.Lock()
	users, sessions, refresh, tokens, outbox := maps.Clone(s.users), maps.Clone(s.sessions), maps.Clone(s.refresh), maps.Clone(s.tokens), slices.Clone(s.outbox)
	events := map[string][]time.Time{}
	for k, v := range s.events {
		events[k] = slices.Clone(v)
	}
	s.mu.Unlock()
	err := fn(context.WithValue(ctx, txKey{}, true))
	if err != nil {
		s.mu.Lock()
		s.users, s.sessions, s.refresh, s.tokens, s.outbox, s.events = users, sessions, refresh, tokens, outbox, events
		s.mu.Unlock()
	}
	return err
}

func (s *memStore) Create(_ context.Context, u *domain.User) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for _, o := range s.users {
		if o.Email == u.Email {
			return domain.ErrEmailTaken
		}
	}
	s.users[u.ID] = *u
	return nil
}

func (s *memStore) ByID(_ context.Context, id domain.UserID) (*domain.User, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return nil, domain.ErrUserNotFound
	}
	return &u, nil
}

func (s *memStore) ByEmail(_ context.Context, e domain.Email) (*domain.User, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.Email == e {
			return &u, nil
		}
	}
	return nil, domain.ErrUserNotFound
}

func (s *memStore) Update(_ context.Context, id domain.UserID, fn func(*domain.User) error) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return domain.ErrUserNotFound
	}
	if err := fn(&u); err != nil {
		return err
	}
	s.users[id] = u
	return nil
}

// sessionRepo, tokenRepo and outboxRepo give the store's other ports their own
// method sets where names collide.
type sessionRepo struct{ *memStore }
type tokenRepo struct{ *memStore }
type outboxRepo struct{ *memStore }
type attemptLog struct{ *memStore }

func (s attemptLog) Record(_ context.Context, key string, at time.Time) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.events[key] = append(s.events[key], at)
	return nil
}

func (s attemptLog) CountSince(_ context.Context, key string, since time.Time) (int, error) {
	if err := s.lock(); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for _, at := range s.events[key] {
		if !at.Before(since) {
			n++
		}
	}
	return n, nil
}

func (s attemptLog) DeleteBefore(_ context.Context, cutoff time.Time) (int, error) { return 0, nil }

func (s tokenRepo) Latest(_ context.Context, uid domain.UserID, p domain.TokenPurpose, now time.Time) (*domain.OneTimeToken, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var best *domain.OneTimeToken
	for _, t := range s.tokens {
		if t.UserID == uid && t.Purpose == p && t.Usable(now) && (best == nil || t.CreatedAt.After(best.CreatedAt) || t.ID > best.ID) {
			best = &t
		}
	}
	if best == nil {
		return nil, domain.ErrTokenNotFound
	}
	return best, nil
}

func (s tokenRepo) AddAttempt(_ context.Context, id string, max int, now time.Time) (bool, error) {
	if err := s.lock(); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	t, ok := s.tokens[id]
	if !ok || !t.Usable(now) || t.Attempts >= max {
		return false, nil
	}
	t.Attempts++
	s.tokens[id] = t
	return true, nil
}

func (s sessionRepo) Create(_ context.Context, sess *domain.Session, rt domain.RefreshToken) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.sessions[sess.ID] = *sess
	s.refresh[string(rt.Hash)] = rt
	return nil
}

func (s sessionRepo) ByID(_ context.Context, id domain.SessionID) (*domain.Session, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok {
		return nil, domain.ErrSessionNotFound
	}
	return &sess, nil
}

func (s sessionRepo) RefreshToken(_ context.Context, hash []byte) (*domain.RefreshToken, *domain.Session, error) {
	if err := s.lock(); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	rt, ok := s.refresh[string(hash)]
	if !ok {
		return nil, nil, domain.ErrTokenNotFound
	}
	sess := s.sessions[rt.SessionID]
	return &rt, &sess, nil
}

func (s sessionRepo) Rotate(_ context.Context, old []byte, next domain.RefreshToken, now time.Time) (bool, error) {
	if err := s.lock(); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	rt, ok := s.refresh[string(old)]
	if !ok || rt.RotatedAt != nil {
		return false, nil
	}
	rt.RotatedAt = &now
	s.refresh[string(old)] = rt
	s.refresh[string(next.Hash)] = next
	sess := s.sessions[rt.SessionID]
	sess.LastUsedAt, sess.RefreshExpiresAt = now, next.ExpiresAt
	s.sessions[rt.SessionID] = sess
	return true, nil
}

func (s sessionRepo) Revoke(_ context.Context, id domain.SessionID, now time.Time) (bool, error) {
	if err := s.lock(); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok || sess.RevokedAt != nil {
		return false, nil
	}
	sess.RevokedAt = &now
	s.sessions[id] = sess
	return true, nil
}

func (s sessionRepo) RevokeAllForUser(_ context.Context, uid domain.UserID, now time.Time) ([]domain.SessionID, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var ids []domain.SessionID
	for id, sess := range s.sessions {
		if sess.UserID == uid && sess.RevokedAt == nil {
			sess.RevokedAt = &now
			s.sessions[id] = sess
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func (s sessionRepo) ListLive(_ context.Context, uid domain.UserID, now time.Time) ([]domain.Session, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []domain.Session
	for _, sess := range s.sessions {
		if sess.UserID == uid && sess.Live(now) {
			out = append(out, sess)
		}
	}
	slices.SortFunc(out, func(a, b domain.Session) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

func (s sessionRepo) RevokedSince(_ context.Context, since time.Time) ([]domain.Session, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []domain.Session
	for _, sess := range s.sessions {
		if sess.RevokedAt != nil && !sess.RevokedAt.Before(since) {
			out = append(out, sess)
		}
	}
	return out, nil
}

func (s sessionRepo) DeleteExpired(_ context.Context, cutoff time.Time) (int, error) {
	if err := s.lock(); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for id, sess := range s.sessions {
		if sess.ExpiresAt.Before(cutoff) || sess.RefreshExpiresAt.Before(cutoff) || (sess.RevokedAt != nil && sess.RevokedAt.Before(cutoff)) {
			delete(s.sessions, id)
			n++
		}
	}
	return n, nil
}

func (s tokenRepo) Create(_ context.Context, t *domain.OneTimeToken) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.tokens[t.ID] = *t
	return nil
}

func (s tokenRepo) Consume(_ context.Context, p domain.TokenPurpose, hash []byte, now time.Time) (*domain.OneTimeToken, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.Purpose == p && bytes.Equal(t.Hash, hash) && t.Usable(now) {
			t.UsedAt = &now
			s.tokens[id] = t
			return &t, nil
		}
	}
	return nil, domain.ErrTokenNotFound
}

func (s tokenRepo) Void(_ context.Context, uid domain.UserID, now time.Time, purposes ...domain.TokenPurpose) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.UserID == uid && t.UsedAt == nil && slices.Contains(purposes, t.Purpose) {
			t.UsedAt = &now
			s.tokens[id] = t
		}
	}
	return nil
}

func (s tokenRepo) DeleteExpired(_ context.Context, cutoff time.Time) (int, error) {
	if err := s.lock(); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for id, t := range s.tokens {
		if t.ExpiresAt.Before(cutoff) {
			delete(s.tokens, id)
			n++
		}
	}
	return n, nil
}

func (s outboxRepo) Enqueue(_ context.Context, m domain.Message, now time.Time) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.outbox = append(s.outbox, domain.OutboxMessage{Message: m, CreatedAt: now, NextAttemptAt: now})
	return nil
}

func (s outboxRepo) Claim(_ context.Context, now time.Time, lease time.Duration, limit int) ([]domain.OutboxMessage, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []domain.OutboxMessage
	for _, m := range s.outbox {
		if len(out) == limit {
			break
		}
		if s.sent[m.ID] || s.dead[m.ID] || m.NextAttemptAt.After(now) || s.leases[m.ID].After(now) {
			continue
		}
		s.leases[m.ID] = now.Add(lease)
		out = append(out, m)
	}
	return out, nil
}

func (s outboxRepo) MarkSent(_ context.Context, id string, _ time.Time) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.sent[id] = true
	return nil
}

func (s outboxRepo) Retry(_ context.Context, id string, attempts int, next time.Time, lastErr string) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for i := range s.outbox {
		if s.outbox[i].ID == id {
			s.outbox[i].Attempts, s.outbox[i].NextAttemptAt, s.outbox[i].LastError = attempts, next, lastErr
		}
	}
	delete(s.leases, id)
	return nil
}

func (s outboxRepo) MarkDead(_ context.Context, id string, _ time.Time, lastErr string) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.dead[id] = true
	return nil
}

// messages returns every message ever enqueued, oldest first.
func (s *memStore) messages() []domain.OutboxMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.outbox)
}

// fakeMailer records deliveries and fails while failing is set.
type fakeMailer struct {
	mu      sync.Mutex
	sent    []domain.Message
	failing error
}

func (m *fakeMailer) Send(_ context.Context, msg domain.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing != nil {
		return m.failing
	}
	m.sent = append(m.sent, msg)
	return nil
}

// env wires the use cases on fakes, as cmd wires them on adapters.
type env struct {
	clock    *fakeClock
	random   *fakeRandom
	store    *memStore
	hasher   *fakeHasher
	settings Settings
	logs     *bytes.Buffer

	denylist     *fakeDenylist
	counters     *fakeCounters
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
	e := &env{clock: newClock(), random: &fakeRandom{}, store: newStore(), hasher: &fakeHasher{}, settings: settings, logs: &bytes.Buffer{},
		denylist: &fakeDenylist{revoked: map[domain.SessionID]time.Time{}}, counters: &fakeCounters{events: map[string][]time.Time{}}}
	for _, m := range mod {
		m(&e.settings)
	}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(e.logs), nil))
	st := e.store
	stores := Stores{Tx: st, Users: st, Sessions: sessionRepo{st}, Tokens: tokenRepo{st}, Outbox: outboxRepo{st}, Attempts: attemptLog{st}}
	run := Env{Clock: e.clock, Random: e.random, Settings: e.settings, Log: log}
	e.issuer = NewSessionIssuer(stores, run, fakeIssuer{})
	e.guard = NewAbuseGuard(e.counters, stores, run)
	e.verification = NewEmailVerification(stores, run, e.guard)
	e.registration = NewRegistration(stores, run, e.hasher, e.verification, e.issuer, e.guard)
	e.login = NewLogin(stores, run, e.hasher, e.issuer, e.guard)
	e.revocations = NewRevocations(sessionRepo{st}, e.denylist, e.clock, e.settings, log)
	e.auth = NewAuthenticator(fakeIssuer{}, e.revocations, e.clock)
	e.refresh = NewRefresh(stores, run, e.issuer, e.revocations)
	e.logout = NewLogout(sessionRepo{st}, e.revocations, e.clock, log)
	e.change = NewPasswordChange(stores, run, e.hasher, e.issuer, e.revocations)
	e.reset = NewPasswordReset(stores, run, e.hasher, e.revocations, e.guard)
	e.deactivation = NewDeactivation(stores, run, e.hasher, e.revocations)
	e.sessions = NewSessions(sessionRepo{st}, e.revocations, e.clock, log)
	e.profile = NewProfile(st, e.clock)
	return e
}

// fakeDenylist is stale until seeded, like a fresh process; lose() forgets
// everything, like a restarted memcached; down makes every call fail.
type fakeDenylist struct {
	mu      sync.Mutex
	revoked map[domain.SessionID]time.Time
	seeded  bool
	down    error
	seeds   int
}

func (d *fakeDenylist) Add(_ context.Context, revs ...domain.Revocation) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down != nil {
		return d.down
	}
	for _, r := range revs {
		d.revoked[r.SessionID] = r.AccessUntil
	}
	return nil
}

func (d *fakeDenylist) Contains(_ context.Context, id domain.SessionID) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.down != nil:
		return false, d.down
	case !d.seeded:
		return false, ports.ErrDenylistStale
	}
	_, ok := d.revoked[id]
	return ok, nil
}

func (d *fakeDenylist) MarkSeeded(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down != nil {
		return d.down
	}
	d.seeded = true
	d.seeds++
	return nil
}

func (d *fakeDenylist) Ping(context.Context) error { d.mu.Lock(); defer d.mu.Unlock(); return d.down }

func (d *fakeDenylist) lose() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.revoked, d.seeded = map[domain.SessionID]time.Time{}, false
}

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fakeCounters keeps every event's time, an exact sliding window; down makes
// every call fail.
type fakeCounters struct {
	mu     sync.Mutex
	events map[string][]time.Time
	marks  map[string]bool
	down   error
}

func (c *fakeCounters) live(key string, window time.Duration, now time.Time) []time.Time {
	var keep []time.Time
	for _, at := range c.events[key] {
		if now.Before(at.Add(window)) {
			keep = append(keep, at)
		}
	}
	c.events[key] = keep
	return keep
}

func (c *fakeCounters) Hit(_ context.Context, key string, window time.Duration, now time.Time) (ports.Window, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down != nil {
		return ports.Window{}, c.down
	}
	k := key + "/" + window.String()
	c.events[k] = append(c.live(k, window, now), now)
	var w ports.Window
	for _, at := range c.events[k] {
		w.Count++
		w.Leaving = append(w.Leaving, ports.Departure{At: at.Add(window), N: 1})
	}
	return w, nil
}

func (c *fakeCounters) Unhit(_ context.Context, key string, window time.Duration, at time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down != nil {
		return c.down
	}
	k := key + "/" + window.String()
	ev := c.events[k]
	for i := len(ev) - 1; i >= 0; i-- {
		if ev[i].Equal(at) {
			c.events[k] = append(ev[:i:i], ev[i+1:]...)
			break
		}
	}
	return nil
}

func (c *fakeCounters) Clear(_ context.Context, key string, window time.Duration, _ time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down != nil {
		return c.down
	}
	delete(c.events, key+"/"+window.String())
	return nil
}

func (c *fakeCounters) First(_ context.Context, key string, _ time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down != nil {
		return false, c.down
	}
	if c.marks == nil {
		c.marks = map[string]bool{}
	}
	first := !c.marks[key]
	c.marks[key] = true
	return first, nil
}

func (c *fakeCounters) Ping(context.Context) error { c.mu.Lock(); defer c.mu.Unlock(); return c.down }
