package fakes

import (
	"bytes"
	"context"
	"crypto/rand"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"authd/domain"
	"authd/ports"
)

// Store implements every storage port in memory. Transactions are real: one at
// a time (like SQLite's single writer), each on a copy of the data that
// replaces the committed data only when the function succeeds; reads outside
// a transaction see the committed data and never wait.
type Store struct {
	writer sync.Mutex // held by a transaction, or by a lone write, for its whole length

	mu        sync.Mutex // guards committed, enqueued and failNext
	committed *state
	enqueued  []domain.Message
	failNext  error

	versions ports.AccountVersions // told of committed account changes (SetAccountVersions)
}

// SetAccountVersions makes every committed change of an account bump its
// version in v, as the SQL store does.
func (s *Store) SetAccountVersions(v ports.AccountVersions) { s.versions = v }

// state is all the data of a store at one moment.
type state struct {
	users    map[domain.UserID]domain.User
	sessions map[domain.SessionID]domain.Session
	refresh  map[string]domain.RefreshToken
	tokens   map[string]domain.OneTimeToken
	outbox   []outboxEntry
	events   map[string][]time.Time
	history  []domain.SecurityEvent
	totp     map[domain.UserID]domain.TOTPEnrolment
	recovery map[string]domain.RecoveryCode
	ring     ports.StoredRing // the key ring (keyring.go)
}

type outboxEntry struct {
	msg        domain.OutboxMessage
	sent, dead bool
	lease      time.Time
}

func (s *state) clone() *state {
	events := make(map[string][]time.Time, len(s.events))
	for k, v := range s.events {
		events[k] = slices.Clone(v)
	}
	return &state{users: maps.Clone(s.users), sessions: maps.Clone(s.sessions), refresh: maps.Clone(s.refresh),
		tokens: maps.Clone(s.tokens), outbox: slices.Clone(s.outbox), events: events, history: slices.Clone(s.history),
		totp: maps.Clone(s.totp), recovery: maps.Clone(s.recovery),
		ring: ports.StoredRing{HMACKey: s.ring.HMACKey, Keys: slices.Clone(s.ring.Keys)}}
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{committed: &state{users: map[domain.UserID]domain.User{}, sessions: map[domain.SessionID]domain.Session{},
		refresh: map[string]domain.RefreshToken{}, tokens: map[string]domain.OneTimeToken{}, events: map[string][]time.Time{},
		totp: map[domain.UserID]domain.TOTPEnrolment{}, recovery: map[string]domain.RecoveryCode{}}}
}

var (
	_ ports.Transactor             = (*Store)(nil)
	_ ports.UserRepository         = Users{}
	_ ports.SessionRepository      = Sessions{}
	_ ports.OneTimeTokenRepository = Tokens{}
	_ ports.Outbox                 = Outbox{}
	_ ports.AttemptLog             = Attempts{}
	_ ports.SecurityEventLog       = Events{}
	_ ports.KeyRing                = KeyRing{}
)

// Users, Sessions, Tokens, Outbox and Attempts are the store's ports.
func (s *Store) Users() Users       { return Users{s} }
func (s *Store) Sessions() Sessions { return Sessions{s} }
func (s *Store) Tokens() Tokens     { return Tokens{s} }
func (s *Store) Outbox() Outbox     { return Outbox{s} }
func (s *Store) Attempts() Attempts { return Attempts{s} }
func (s *Store) Events() Events     { return Events{s} }

// FailNext makes the next repository call return err, once.
func (s *Store) FailNext(err error) { s.mu.Lock(); s.failNext = err; s.mu.Unlock() }

// Enqueued returns every message ever enqueued by a committed change, oldest
// first, with its body (the outbox itself drops bodies once sent).
func (s *Store) Enqueued() []domain.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.enqueued)
}

type txKey struct{}

// txValue is a transaction in progress: its store and its working copy.
type txValue struct {
	s        *Store
	work     *state
	enqueued []domain.Message
	changed  []domain.UserID // accounts to bump once committed
}

func (s *Store) tx(ctx context.Context) *txValue {
	if v, ok := ctx.Value(txKey{}).(*txValue); ok && v.s == s {
		return v
	}
	return nil
}

func (s *Store) takeFailure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.failNext
	s.failNext = nil
	return err
}

// WithinTx runs fn on a copy of the data that is committed only when fn
// returns nil; a nested call joins, a panic rolls back and goes on.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.tx(ctx) != nil {
		return fn(ctx)
	}
	if err := ctx.Err(); err != nil {
		return domain.WrapUnavailable(err)
	}
	s.writer.Lock()
	defer s.writer.Unlock()
	s.mu.Lock()
	tv := &txValue{s: s, work: s.committed.clone()}
	s.mu.Unlock()
	if err := fn(context.WithValue(ctx, txKey{}, tv)); err != nil {
		return err
	}
	s.mu.Lock()
	s.committed = tv.work
	s.enqueued = append(s.enqueued, tv.enqueued...)
	s.mu.Unlock()
	if s.versions != nil {
		for _, id := range tv.changed {
			_ = s.versions.Bump(ctx, id)
		}
	}
	return nil
}

// view runs f on the data ctx sees: its transaction's, else the committed data.
func (s *Store) view(ctx context.Context, f func(*state) error) error {
	if err := s.takeFailure(); err != nil {
		return err
	}
	if tv := s.tx(ctx); tv != nil {
		return f(tv.work)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return f(s.committed)
}

// change runs f as a write: in ctx's transaction, else as a transaction of its own.
func (s *Store) change(ctx context.Context, f func(st *state, tv *txValue) error) error {
	if err := s.takeFailure(); err != nil {
		return err
	}
	if tv := s.tx(ctx); tv != nil {
		return f(tv.work, tv)
	}
	return s.WithinTx(ctx, func(ctx context.Context) error {
		tv := s.tx(ctx)
		return f(tv.work, tv)
	})
}

// Users is the store's ports.UserRepository.
type Users struct{ s *Store }

// Create stores u; domain.ErrEmailTaken when its email is in use.
func (r Users) Create(ctx context.Context, u *domain.User) error {
	return r.s.change(ctx, func(st *state, _ *txValue) error {
		for _, o := range st.users {
			if o.Email == u.Email {
				return domain.ErrEmailTaken
			}
		}
		st.users[u.ID] = *u
		return nil
	})
}

// ByID returns domain.ErrUserNotFound.
func (r Users) ByID(ctx context.Context, id domain.UserID) (*domain.User, error) {
	var out *domain.User
	err := r.s.view(ctx, func(st *state) error {
		u, ok := st.users[id]
		if !ok {
			return domain.ErrUserNotFound
		}
		out = &u
		return nil
	})
	return out, err
}

// ByEmail returns domain.ErrUserNotFound.
func (r Users) ByEmail(ctx context.Context, e domain.Email) (*domain.User, error) {
	var out *domain.User
	err := r.s.view(ctx, func(st *state) error {
		for _, u := range st.users {
			if u.Email == e {
				out = &u
				return nil
			}
		}
		return domain.ErrUserNotFound
	})
	return out, err
}

// Update lets fn change the user in one transaction.
func (r Users) Update(ctx context.Context, id domain.UserID, fn func(*domain.User) error) error {
	return r.s.change(ctx, func(st *state, tv *txValue) error {
		u, ok := st.users[id]
		if !ok {
			return domain.ErrUserNotFound
		}
		if err := fn(&u); err != nil {
			return err
		}
		for oid, o := range st.users {
			if oid != id && o.Email == u.Email {
				return domain.ErrEmailTaken
			}
		}
		st.users[id] = u
		tv.changed = append(tv.changed, id)
		return nil
	})
}

// RecordLogin notes the user's latest login.
func (r Users) RecordLogin(ctx context.Context, id domain.UserID, at time.Time) error {
	return r.s.change(ctx, func(st *state, _ *txValue) error {
		if u, ok := st.users[id]; ok {
			u.LastLoginAt = &at
			st.users[id] = u
		}
		return nil
	})
}

// List returns one page of matching users, smallest id first.
func (r Users) List(ctx context.Context, f ports.UserFilter, after domain.UserID, limit int) ([]domain.User, error) {
	var out []domain.User
	err := r.s.view(ctx, func(st *state) error {
		for _, u := range st.users {
			if u.ID > after && matches(u, f) {
				out = append(out, u)
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b domain.User) int { return compareStrings(string(a.ID), string(b.ID)) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

func matches(u domain.User, f ports.UserFilter) bool {
	switch {
	case f.EmailPrefix != "" && !strings.HasPrefix(u.Email.String(), f.EmailPrefix):
		return false
	case f.Role != "" && u.Role != f.Role:
		return false
	case f.Status == ports.StatusActive:
		return !u.Deactivated() && u.EmailVerified
	case f.Status == ports.StatusUnverified:
		return !u.Deactivated() && !u.EmailVerified
	case f.Status == ports.StatusDeactivated:
		return u.Deactivated()
	}
	return true
}

// LockActiveWithRoles returns the active holders of roles; transactions are
// one at a time, so they are locked by being read in one.
func (r Users) LockActiveWithRoles(ctx context.Context, roles []domain.Role) ([]domain.UserID, error) {
	var ids []domain.UserID
	err := r.s.view(ctx, func(st *state) error {
		for id, u := range st.users {
			if !u.Deactivated() && slices.Contains(roles, u.Role) {
				ids = append(ids, id)
			}
		}
		return nil
	})
	slices.Sort(ids)
	return ids, err
}

// Sessions is the store's ports.SessionRepository.
type Sessions struct{ s *Store }

// Create stores the session with its first refresh token.
func (r Sessions) Create(ctx context.Context, sess *domain.Session, rt domain.RefreshToken) error {
	return r.s.change(ctx, func(st *state, _ *txValue) error {
		if _, ok := st.users[sess.UserID]; !ok {
			return errForeignKey
		}
		st.sessions[sess.ID] = *sess
		rt.SessionID = sess.ID
		st.refresh[string(rt.Hash)] = rt
		return nil
	})
}

// ByID returns domain.ErrSessionNotFound.
func (r Sessions) ByID(ctx context.Context, id domain.SessionID) (*domain.Session, error) {
	var out *domain.Session
	err := r.s.view(ctx, func(st *state) error {
		sess, ok := st.sessions[id]
		if !ok {
			return domain.ErrSessionNotFound
		}
		out = &sess
		return nil
	})
	return out, err
}

// RefreshToken returns the token with hash and its session.
func (r Sessions) RefreshToken(ctx context.Context, hash []byte) (*domain.RefreshToken, *domain.Session, *domain.User, error) {
	var rt domain.RefreshToken
	var sess domain.Session
	var u domain.User
	err := r.s.view(ctx, func(st *state) error {
		var ok bool
		if rt, ok = st.refresh[string(hash)]; !ok {
			return domain.ErrTokenNotFound
		}
		sess = st.sessions[rt.SessionID]
		if u, ok = st.users[sess.UserID]; !ok {
			return domain.ErrTokenNotFound
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return &rt, &sess, &u, nil
}

// Rotate spends the old token at next.CreatedAt and stores next, unless the
// old one was spent or is another session's.
func (r Sessions) Rotate(ctx context.Context, old []byte, next domain.RefreshToken) (bool, error) {
	now := next.CreatedAt
	won := false
	err := r.s.change(ctx, func(st *state, _ *txValue) error {
		rt, ok := st.refresh[string(old)]
		if !ok || rt.RotatedAt != nil || rt.SessionID != next.SessionID {
			return nil
		}
		rt.RotatedAt = &now
		st.refresh[string(old)] = rt
		st.refresh[string(next.Hash)] = next
		sess := st.sessions[rt.SessionID]
		sess.LastUsedAt, sess.RefreshExpiresAt = now, next.ExpiresAt
		st.sessions[rt.SessionID] = sess
		won = true
		return nil
	})
	return won && err == nil, err
}

// Revoke marks the session revoked and reports whether it was live.
func (r Sessions) Revoke(ctx context.Context, id domain.SessionID, now time.Time) (bool, error) {
	wasLive := false
	err := r.s.change(ctx, func(st *state, _ *txValue) error {
		sess, ok := st.sessions[id]
		if !ok || sess.RevokedAt != nil {
			return nil
		}
		wasLive = sess.Live(now)
		sess.RevokedAt = &now
		st.sessions[id] = sess
		return nil
	})
	return wasLive && err == nil, err
}

// RevokeAllForUser revokes every unrevoked session of the user.
func (r Sessions) RevokeAllForUser(ctx context.Context, uid domain.UserID, now time.Time) ([]domain.SessionID, error) {
	var ids []domain.SessionID
	err := r.s.change(ctx, func(st *state, _ *txValue) error {
		ids = ids[:0]
		for id, sess := range st.sessions {
			if sess.UserID == uid && sess.RevokedAt == nil {
				sess.RevokedAt = &now
				st.sessions[id] = sess
				ids = append(ids, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// ListLive returns the user's live sessions, newest first.
func (r Sessions) ListLive(ctx context.Context, uid domain.UserID, now time.Time) ([]domain.Session, error) {
	var out []domain.Session
	err := r.s.view(ctx, func(st *state) error {
		for _, sess := range st.sessions {
			if sess.UserID == uid && sess.Live(now) {
				out = append(out, sess)
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b domain.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return compareStrings(string(b.ID), string(a.ID))
	})
	return out, err
}

// RevokedSince returns the sessions revoked at or after since, oldest first.
func (r Sessions) RevokedSince(ctx context.Context, since time.Time) ([]domain.Session, error) {
	var out []domain.Session
	err := r.s.view(ctx, func(st *state) error {
		for _, sess := range st.sessions {
			if sess.RevokedAt != nil && !sess.RevokedAt.Before(since) {
				out = append(out, sess)
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b domain.Session) int {
		if c := a.RevokedAt.Compare(*b.RevokedAt); c != 0 {
			return c
		}
		return compareStrings(string(a.ID), string(b.ID))
	})
	return out, err
}

// DeleteExpired removes sessions that ended before cutoff, with their refresh tokens.
func (r Sessions) DeleteExpired(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	err := r.s.change(ctx, func(st *state, _ *txValue) error {
		n = 0
		for id, sess := range st.sessions {
			if sess.ExpiresAt.Before(cutoff) || sess.RefreshExpiresAt.Before(cutoff) || (sess.RevokedAt != nil && sess.RevokedAt.Before(cutoff)) {
				delete(st.sessions, id)
				for h, rt := range st.refresh {
					if rt.SessionID == id {
						delete(st.refresh, h)
					}
				}
				n++
			}
		}
		return nil
	})
	return n, err
}

// Tokens is the store's ports.OneTimeTokenRepository.
type Tokens struct{ s *Store }

// Create stores t.
func (r Tokens) Create(ctx context.Context, t *domain.OneTimeToken) error {
	return r.s.change(ctx, func(st *state, _ *txValue) error {
		if _, ok := st.users[t.UserID]; !ok {
			return errForeignKey
		}
		st.tokens[t.ID] = *t
		return nil
	})
}

// Consume redeems the usable token of purpose with hash.
func (r Tokens) Consume(ctx context.Context, p domain.TokenPurpose, hash []byte, now time.Time) (*domain.OneTimeToken, error) {
	var out *domain.OneTimeToken
	err := r.s.change(ctx, func(st *state, _ *txValue) error {
		for id, t := range st.tokens {
			if t.Purpose == p && bytes.Equal(t.Hash, hash) && t.Redeem(now) == nil {
				st.tokens[id] = t
				out = &t
				return nil
			}
		}
		return domain.ErrTokenNotFound
	})
	return out, err
}

// Latest returns the user's newest usable token of purpose.
func (r Tokens) Latest(ctx context.Context, uid domain.UserID, p domain.TokenPurpose, now time.Time) (*domain.OneTimeToken, error) {
	var best *domain.OneTimeToken
	err := r.s.view(ctx, func(st *state) error {
		for _, t := range st.tokens {
			if t.UserID != uid || t.Purpose != p || !t.Usable(now) {
				continue
			}
			if best == nil || t.CreatedAt.After(best.CreatedAt) || t.CreatedAt.Equal(best.CreatedAt) && t.ID > best.ID {
				best = &t
			}
		}
		if best == nil {
			return domain.ErrTokenNotFound
		}
		return nil
	})
	return best, err
}

// AddAttempt counts a try unless the token is spent, expired or at max.
func (r Tokens) AddAttempt(ctx context.Context, id string, max int, now time.Time) (bool, error) {
	counted := false
	err := r.s.change(ctx, func(st *state, _ *txValue) error {
		t, ok := st.tokens[id]
		if ok && t.Try(max, now) {
			st.tokens[id] = t
			counted = true
		}
		return nil
	})
	return counted && err == nil, err
}

// Void burns every unused token of the user with one of purposes.
func (r Tokens) Void(ctx context.Context, uid domain.UserID, now time.Time, purposes ...domain.TokenPurpose) error {
	return r.s.change(ctx, func(st *state, _ *txValue) error {
		for id, t := range st.tokens {
			if t.UserID == uid && slices.Contains(purposes, t.Purpose) {
				t.Burn(now)
				st.tokens[id] = t
			}
		}
		return nil
	})
}

// DeleteExpired removes tokens that expired before cutoff.
func (r Tokens) DeleteExpired(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	err := r.s.change(ctx, func(st *state, _ *txValue) error {
		n = 0
		for id, t := range st.tokens {
			if t.ExpiresAt.Before(cutoff) {
				delete(st.tokens, id)
				n++
			}
		}
		return nil
	})
	return n, err
}

// Outbox is the store's ports.Outbox.
type Outbox struct{ s *Store }

// Enqueue stores m, due at now; a message without an id gets one.
func (o Outbox) Enqueue(ctx context.Context, m domain.Message, now time.Time) error {
	if m.ID == "" {
		m.ID = rand.Text()
	}
	return o.s.change(ctx, func(st *state, tv *txValue) error {
		st.outbox = append(st.outbox, outboxEntry{msg: domain.OutboxMessage{Message: m, CreatedAt: now, NextAttemptAt: now}})
		tv.enqueued = append(tv.enqueued, m)
		return nil
	})
}

// Claim leases up to limit due messages, oldest first.
func (o Outbox) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]domain.OutboxMessage, error) {
	var out []domain.OutboxMessage
	err := o.s.change(ctx, func(st *state, _ *txValue) error {
		out = out[:0]
		order := make([]int, len(st.outbox))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int {
			if c := st.outbox[a].msg.CreatedAt.Compare(st.outbox[b].msg.CreatedAt); c != 0 {
				return c
			}
			return compareStrings(st.outbox[a].msg.ID, st.outbox[b].msg.ID)
		})
		for _, i := range order {
			e := &st.outbox[i]
			if len(out) == limit {
				break
			}
			if e.sent || e.dead || e.msg.NextAttemptAt.After(now) || e.lease.After(now) {
				continue
			}
			e.lease = now.Add(lease)
			out = append(out, e.msg)
		}
		return nil
	})
	return out, err
}

// MarkSent records delivery and drops the body.
func (o Outbox) MarkSent(ctx context.Context, id string, _ time.Time) error {
	return o.s.change(ctx, func(st *state, _ *txValue) error {
		o.each(st, id, func(e *outboxEntry) {
			e.sent, e.lease = true, time.Time{}
			e.msg.Subject, e.msg.Text, e.msg.HTML = "", "", ""
		})
		return nil
	})
}

// Retry records a failed attempt and makes the message due at next.
func (o Outbox) Retry(ctx context.Context, id string, attempts int, next time.Time, lastErr string) error {
	return o.s.change(ctx, func(st *state, _ *txValue) error {
		o.each(st, id, func(e *outboxEntry) {
			if !e.sent && !e.dead {
				e.msg.Attempts, e.msg.NextAttemptAt, e.msg.LastError, e.lease = attempts, next, lastErr, time.Time{}
			}
		})
		return nil
	})
}

// MarkDead gives up on the message and drops the body.
func (o Outbox) MarkDead(ctx context.Context, id string, _ time.Time, lastErr string) error {
	return o.s.change(ctx, func(st *state, _ *txValue) error {
		o.each(st, id, func(e *outboxEntry) {
			e.dead, e.lease, e.msg.LastError = true, time.Time{}, lastErr
			e.msg.Subject, e.msg.Text, e.msg.HTML = "", "", ""
		})
		return nil
	})
}

func (o Outbox) each(st *state, id string, f func(*outboxEntry)) {
	for i := range st.outbox {
		if st.outbox[i].msg.ID == id {
			f(&st.outbox[i])
		}
	}
}

// Attempts is the store's ports.AttemptLog.
type Attempts struct{ s *Store }

// Record notes one event for key at at.
func (a Attempts) Record(ctx context.Context, key string, at time.Time) error {
	return a.s.change(ctx, func(st *state, _ *txValue) error {
		st.events[key] = append(st.events[key], at)
		return nil
	})
}

// CountSince counts key's events at or after since.
func (a Attempts) CountSince(ctx context.Context, key string, since time.Time) (int, error) {
	n := 0
	err := a.s.view(ctx, func(st *state) error {
		for _, at := range st.events[key] {
			if !at.Before(since) {
				n++
			}
		}
		return nil
	})
	return n, err
}

// DeleteBefore forgets events older than cutoff.
func (a Attempts) DeleteBefore(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	err := a.s.change(ctx, func(st *state, _ *txValue) error {
		n = 0
		for k, evs := range st.events {
			keep := evs[:0:0]
			for _, at := range evs {
				if at.Before(cutoff) {
					n++
				} else {
					keep = append(keep, at)
				}
			}
			st.events[k] = keep
		}
		return nil
	})
	return n, err
}

// Events is the store's ports.SecurityEventLog.
type Events struct{ s *Store }

// Record stores e.
func (l Events) Record(ctx context.Context, e domain.SecurityEvent) error {
	return l.s.change(ctx, func(st *state, _ *txValue) error {
		if _, ok := st.users[e.UserID]; !ok {
			return errForeignKey
		}
		st.history = append(st.history, e)
		return nil
	})
}

// ListForUser returns one page of the user's history, newest (largest id) first.
func (l Events) ListForUser(ctx context.Context, userID domain.UserID, before string, limit int) ([]domain.SecurityEvent, error) {
	var out []domain.SecurityEvent
	err := l.s.view(ctx, func(st *state) error {
		for _, e := range st.history {
			if e.UserID == userID && (before == "" || e.ID < before) {
				out = append(out, e)
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b domain.SecurityEvent) int { return compareStrings(b.ID, a.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// DeleteBefore removes events recorded before cutoff.
func (l Events) DeleteBefore(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	err := l.s.change(ctx, func(st *state, _ *txValue) error {
		keep := st.history[:0:0]
		for _, e := range st.history {
			if e.CreatedAt.Before(cutoff) {
				n++
			} else {
				keep = append(keep, e)
			}
		}
		st.history = keep
		return nil
	})
	return n, err
}

// errForeignKey is what a store says about a row whose parent does not exist.
var errForeignKey = errString("fakes: foreign key: no such parent row")

type errString string

func (e errString) Error() string { return string(e) }

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Looks at the committed data, for tests.

// UserCount is how many accounts the store holds.
func (s *Store) UserCount() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.committed.users) }

// HasSession reports whether the session is stored (revoked or not).
func (s *Store) HasSession(id domain.SessionID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.committed.sessions[id]
	return ok
}

// AllTokens returns every stored one-time token.
func (s *Store) AllTokens() []domain.OneTimeToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Values(s.committed.tokens))
}

// OutboxState is one outbox row as the store keeps it.
type OutboxState struct {
	domain.OutboxMessage
	Sent, Dead bool
}

// OutboxRows returns the outbox as stored, in the order of enqueueing.
func (s *Store) OutboxRows() []OutboxState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]OutboxState, len(s.committed.outbox))
	for i, e := range s.committed.outbox {
		out[i] = OutboxState{OutboxMessage: e.msg, Sent: e.sent, Dead: e.dead}
	}
	return out
}
