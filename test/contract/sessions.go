package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"authd/domain"
)

// newSession returns a session of user created at created, live for a day, and its
// first refresh token (valid an hour).
func newSession(user domain.UserID, created time.Time) (*domain.Session, domain.RefreshToken) {
	s := &domain.Session{
		ID:               domain.SessionID(newID()),
		UserID:           user,
		CreatedAt:        created,
		LastUsedAt:       created,
		ExpiresAt:        created.Add(24 * time.Hour),
		RefreshExpiresAt: created.Add(time.Hour),
		UserAgent:        "Mozilla/5.0 (contract test)",
		IP:               "203.0.113.7",
	}
	return s, domain.RefreshToken{Hash: newHash(), SessionID: s.ID, CreatedAt: created, ExpiresAt: s.RefreshExpiresAt}
}

// createSession stores a new session of user created at created.
func createSession(t *testing.T, st Store, user domain.UserID, created time.Time) (*domain.Session, domain.RefreshToken) {
	t.Helper()
	s, rt := newSession(user, created)
	must(t, st.Sessions.Create(ctx(t), s, rt), "create session")
	return s, rt
}

// Sessions checks an implementation of ports.SessionRepository.
func Sessions(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("a created session is found by id with every field intact", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		s, rt := newSession(u.ID, base.Add(5*time.Millisecond).In(elsewhere))
		s.LastUsedAt = s.CreatedAt.Add(time.Minute)
		must(t, st.Sessions.Create(ctx(t), s, rt), "create")

		got, err := st.Sessions.ByID(ctx(t), s.ID)
		must(t, err, "by id")
		sameSession(t, *got, *s)
	})

	t.Run("a user agent that is not valid UTF-8 is stored, as is or with the bad bytes replaced", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		s, rt := newSession(u.ID, base)
		s.UserAgent = "Mozilla/5.0 (caf\xe9; \xff)" // a Latin-1 header, as some clients send
		must(t, st.Sessions.Create(ctx(t), s, rt), "create")
		got, err := st.Sessions.ByID(ctx(t), s.ID)
		must(t, err, "by id")
		if got.UserAgent != s.UserAgent && got.UserAgent != strings.ToValidUTF8(s.UserAgent, "\uFFFD") {
			t.Errorf("user agent = %q, want %q", got.UserAgent, s.UserAgent)
		}
	})

	t.Run("an unknown session id is ErrSessionNotFound", func(t *testing.T) {
		st := newStore(t)
		_, err := st.Sessions.ByID(ctx(t), domain.SessionID(newID()))
		wantErr(t, err, domain.ErrSessionNotFound, "by id")
	})

	t.Run("the first refresh token is found by its hash together with its session and user", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		s, rt := createSession(t, st, u.ID, base)

		gotRT, gotS, gotU, err := st.Sessions.RefreshToken(ctx(t), rt.Hash)
		must(t, err, "refresh token")
		sameRefresh(t, *gotRT, rt)
		sameSession(t, *gotS, *s)
		sameUser(t, gotU, u)

		// The user as it is now, not as it was when the session began.
		must(t, st.Users.Update(ctx(t), u.ID, func(cur *domain.User) error {
			return cur.Deactivate(base.Add(time.Minute))
		}), "deactivate")
		_, _, gotU, err = st.Sessions.RefreshToken(ctx(t), rt.Hash)
		must(t, err, "refresh token after deactivation")
		if !gotU.Deactivated() {
			t.Errorf("the token's user reads as active after deactivation")
		}
	})

	t.Run("an unknown refresh token hash is ErrTokenNotFound", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		createSession(t, st, u.ID, base)
		_, _, _, err := st.Sessions.RefreshToken(ctx(t), newHash())
		wantErr(t, err, domain.ErrTokenNotFound, "refresh token")
	})

	t.Run("rotate spends the old token, stores the next and moves the session on", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		s, old := createSession(t, st, u.ID, base)
		now := base.Add(30*time.Minute + 9*time.Millisecond)
		next := domain.RefreshToken{Hash: newHash(), SessionID: s.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}

		ok, err := st.Sessions.Rotate(ctx(t), old.Hash, next)
		must(t, err, "rotate")
		if !ok {
			t.Fatalf("rotate of a fresh token reported false")
		}

		gotOld, _, _, err := st.Sessions.RefreshToken(ctx(t), old.Hash)
		must(t, err, "old token")
		sameOptTime(t, "old RotatedAt", gotOld.RotatedAt, &now)
		gotNext, gotS, _, err := st.Sessions.RefreshToken(ctx(t), next.Hash)
		must(t, err, "next token")
		sameRefresh(t, *gotNext, next)
		want := *s
		want.LastUsedAt = now
		want.RefreshExpiresAt = next.ExpiresAt
		sameSession(t, *gotS, want)
	})

	t.Run("a second rotate of the same token reports false and changes nothing", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		s, old := createSession(t, st, u.ID, base)
		t1, t2 := base.Add(time.Minute), base.Add(2*time.Minute)
		first := domain.RefreshToken{Hash: newHash(), SessionID: s.ID, CreatedAt: t1, ExpiresAt: t1.Add(time.Hour)}
		second := domain.RefreshToken{Hash: newHash(), SessionID: s.ID, CreatedAt: t2, ExpiresAt: t2.Add(time.Hour)}

		ok, err := st.Sessions.Rotate(ctx(t), old.Hash, first)
		must(t, err, "first rotate")
		if !ok {
			t.Fatalf("first rotate reported false")
		}
		ok, err = st.Sessions.Rotate(ctx(t), old.Hash, second)
		must(t, err, "second rotate")
		if ok {
			t.Fatalf("second rotate of the same token reported true")
		}

		if _, _, _, err := st.Sessions.RefreshToken(ctx(t), second.Hash); !errors.Is(err, domain.ErrTokenNotFound) {
			t.Errorf("the loser's token was stored (err %v)", err)
		}
		gotOld, gotS, _, err := st.Sessions.RefreshToken(ctx(t), old.Hash)
		must(t, err, "old token")
		sameOptTime(t, "old RotatedAt", gotOld.RotatedAt, &t1)
		sameTime(t, "LastUsedAt", gotS.LastUsedAt, t1)
		sameTime(t, "RefreshExpiresAt", gotS.RefreshExpiresAt, first.ExpiresAt)
	})

	t.Run("rotate with the next token of another session reports false and changes nothing", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		s, old := createSession(t, st, u.ID, base)
		other, _ := createSession(t, st, u.ID, base)
		now := base.Add(time.Minute)
		next := domain.RefreshToken{Hash: newHash(), SessionID: other.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}

		ok, err := st.Sessions.Rotate(ctx(t), old.Hash, next)
		must(t, err, "rotate")
		if ok {
			t.Fatalf("rotate into another session reported true")
		}
		if _, _, _, err := st.Sessions.RefreshToken(ctx(t), next.Hash); !errors.Is(err, domain.ErrTokenNotFound) {
			t.Errorf("the other session's token was stored (err %v)", err)
		}
		gotOld, gotS, _, err := st.Sessions.RefreshToken(ctx(t), old.Hash)
		must(t, err, "old token")
		if gotOld.RotatedAt != nil {
			t.Errorf("the old token was spent")
		}
		sameSession(t, *gotS, *s)
	})

	t.Run("of 20 concurrent rotations of one token exactly one wins", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		s, old := createSession(t, st, u.ID, base)
		now := base.Add(time.Minute)

		const n = 20
		nexts := make([]domain.RefreshToken, n)
		won := make([]bool, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			nexts[i] = domain.RefreshToken{Hash: newHash(), SessionID: s.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			wg.Go(func() { won[i], errs[i] = st.Sessions.Rotate(ctx(t), old.Hash, nexts[i]) })
		}
		wg.Wait()

		winners := 0
		for i := range n {
			must(t, errs[i], "rotate")
			_, _, _, err := st.Sessions.RefreshToken(ctx(t), nexts[i].Hash)
			if won[i] {
				winners++
				must(t, err, "winner's token")
			} else if !errors.Is(err, domain.ErrTokenNotFound) {
				t.Errorf("a losing rotation stored its token (err %v)", err)
			}
		}
		if winners != 1 {
			t.Fatalf("%d rotations won, want exactly 1", winners)
		}
	})

	t.Run("revoke reports a live session once and keeps the first revocation time", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		s, _ := createSession(t, st, u.ID, base)
		t1, t2 := base.Add(time.Minute), base.Add(2*time.Minute)

		live, err := st.Sessions.Revoke(ctx(t), s.ID, t1)
		must(t, err, "first revoke")
		if !live {
			t.Errorf("first revoke reported the session was not live")
		}
		live, err = st.Sessions.Revoke(ctx(t), s.ID, t2)
		must(t, err, "second revoke")
		if live {
			t.Errorf("second revoke reported the session was live")
		}
		got, err := st.Sessions.ByID(ctx(t), s.ID)
		must(t, err, "by id")
		sameOptTime(t, "RevokedAt", got.RevokedAt, &t1)
		if got.Live(t1) {
			t.Errorf("a revoked session is live")
		}
	})

	t.Run("revoke of an expired session reports it was not live and still revokes it", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		s, _ := createSession(t, st, u.ID, base)
		now := s.RefreshExpiresAt.Add(time.Second)

		live, err := st.Sessions.Revoke(ctx(t), s.ID, now)
		must(t, err, "revoke")
		if live {
			t.Errorf("revoke of an expired session reported it live")
		}
		got, err := st.Sessions.ByID(ctx(t), s.ID)
		must(t, err, "by id")
		sameOptTime(t, "RevokedAt", got.RevokedAt, &now)
	})

	t.Run("revoke all for user revokes only that user's unrevoked sessions and returns their ids", func(t *testing.T) {
		st := newStore(t)
		u, other := createUser(t, st), createUser(t, st)
		a, _ := createSession(t, st, u.ID, base)
		b, _ := createSession(t, st, u.ID, base.Add(time.Second))
		c, _ := createSession(t, st, u.ID, base.Add(2*time.Second))
		o, _ := createSession(t, st, other.ID, base)
		early, now := base.Add(time.Minute), base.Add(time.Hour/2)
		_, err := st.Sessions.Revoke(ctx(t), c.ID, early)
		must(t, err, "revoke c")

		ids, err := st.Sessions.RevokeAllForUser(ctx(t), u.ID, now)
		must(t, err, "revoke all")
		slices.Sort(ids)
		want := []domain.SessionID{a.ID, b.ID}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("revoked ids = %v, want %v", ids, want)
		}
		for _, tc := range []struct {
			id   domain.SessionID
			want *time.Time
		}{{a.ID, &now}, {b.ID, &now}, {c.ID, &early}, {o.ID, nil}} {
			got, err := st.Sessions.ByID(ctx(t), tc.id)
			must(t, err, "by id")
			sameOptTime(t, "RevokedAt of "+string(tc.id), got.RevokedAt, tc.want)
		}

		ids, err = st.Sessions.RevokeAllForUser(ctx(t), u.ID, now.Add(time.Minute))
		must(t, err, "revoke all again")
		if len(ids) != 0 {
			t.Errorf("second revoke all returned %v, want none", ids)
		}
	})

	t.Run("list live excludes revoked, expired and other users' sessions, newest first", func(t *testing.T) {
		st := newStore(t)
		u, other := createUser(t, st), createUser(t, st)
		now := base.Add(2 * time.Hour)
		older, _ := createSession(t, st, u.ID, now.Add(-10*time.Minute))
		newer, _ := createSession(t, st, u.ID, now.Add(-5*time.Minute))
		revoked, _ := createSession(t, st, u.ID, now.Add(-time.Minute))
		_, err := st.Sessions.Revoke(ctx(t), revoked.ID, now.Add(-time.Second))
		must(t, err, "revoke")
		createSession(t, st, u.ID, now.Add(-90*time.Minute)) // refresh token expired 30 minutes ago
		absolute, rt := newSession(u.ID, now.Add(-3*time.Minute))
		absolute.ExpiresAt = now // the absolute limit is reached exactly now
		must(t, st.Sessions.Create(ctx(t), absolute, rt), "create capped session")
		createSession(t, st, other.ID, now.Add(-time.Minute))

		got, err := st.Sessions.ListLive(ctx(t), u.ID, now)
		must(t, err, "list live")
		if len(got) != 2 || got[0].ID != newer.ID || got[1].ID != older.ID {
			t.Fatalf("list live = %v, want [%s %s]", ids(got), newer.ID, older.ID)
		}
		sameSession(t, got[0], *newer)
		sameSession(t, got[1], *older)
	})

	t.Run("list live of a user without sessions is empty", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		got, err := st.Sessions.ListLive(ctx(t), u.ID, base)
		must(t, err, "list live")
		if len(got) != 0 {
			t.Fatalf("list live = %v, want none", ids(got))
		}
	})

	t.Run("revoked since returns the sessions revoked at or after since, oldest first", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		var all []*domain.Session
		for i := range 4 {
			s, _ := createSession(t, st, u.ID, base.Add(time.Duration(i)*time.Second))
			all = append(all, s)
		}
		createSession(t, st, u.ID, base) // never revoked
		// Revoke out of order so that the result order cannot come from insertion.
		for _, i := range []int{2, 0, 3, 1} {
			_, err := st.Sessions.Revoke(ctx(t), all[i].ID, base.Add(time.Duration(i+1)*time.Hour))
			must(t, err, "revoke")
		}

		got, err := st.Sessions.RevokedSince(ctx(t), base.Add(2*time.Hour))
		must(t, err, "revoked since")
		want := []domain.SessionID{all[1].ID, all[2].ID, all[3].ID}
		if !slices.Equal(ids(got), want) {
			t.Fatalf("revoked since = %v, want %v", ids(got), want)
		}
		sameOptTime(t, "RevokedAt", got[0].RevokedAt, ptr(base.Add(2*time.Hour)))
	})

	t.Run("delete expired removes ended sessions with their refresh tokens and keeps the rest", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		cutoff := base.Add(48 * time.Hour)

		absolute, absoluteRT := newSession(u.ID, base) // absolute limit passed before cutoff
		absolute.RefreshExpiresAt = cutoff.Add(time.Hour)
		absoluteRT.ExpiresAt = absolute.RefreshExpiresAt
		must(t, st.Sessions.Create(ctx(t), absolute, absoluteRT), "create")
		refresh, refreshRT := createSession(t, st, u.ID, cutoff.Add(-2*time.Hour)) // refresh expired an hour before cutoff
		revoked, revokedRT := createSession(t, st, u.ID, cutoff.Add(-30*time.Minute))
		_, err := st.Sessions.Revoke(ctx(t), revoked.ID, cutoff.Add(-time.Minute))
		must(t, err, "revoke")
		live, liveRT := createSession(t, st, u.ID, cutoff.Add(-10*time.Minute))
		lateRevoked, _ := createSession(t, st, u.ID, cutoff.Add(-20*time.Minute))
		_, err = st.Sessions.Revoke(ctx(t), lateRevoked.ID, cutoff.Add(time.Minute)) // revoked after cutoff: kept
		must(t, err, "revoke late")

		n, err := st.Sessions.DeleteExpired(ctx(t), cutoff)
		must(t, err, "delete expired")
		if n != 3 {
			t.Errorf("delete expired removed %d sessions, want 3", n)
		}
		for _, s := range []struct {
			id   domain.SessionID
			hash []byte
		}{{absolute.ID, absoluteRT.Hash}, {refresh.ID, refreshRT.Hash}, {revoked.ID, revokedRT.Hash}} {
			if _, err := st.Sessions.ByID(ctx(t), s.id); !errors.Is(err, domain.ErrSessionNotFound) {
				t.Errorf("ended session %s still there (err %v)", s.id, err)
			}
			if _, _, _, err := st.Sessions.RefreshToken(ctx(t), s.hash); !errors.Is(err, domain.ErrTokenNotFound) {
				t.Errorf("refresh token of ended session %s still there (err %v)", s.id, err)
			}
		}
		for _, id := range []domain.SessionID{live.ID, lateRevoked.ID} {
			_, err := st.Sessions.ByID(ctx(t), id)
			must(t, err, "kept session")
		}
		_, _, _, err = st.Sessions.RefreshToken(ctx(t), liveRT.Hash)
		must(t, err, "kept refresh token")
	})

	t.Run("a session kept alive by rotations lives by its newest token, not by its first", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		// The first tokens expire an hour after the sessions begin; rotation
		// moves one session on past cutoff, the other not far enough.
		kept, keptRT := createSession(t, st, u.ID, base)
		ended, endedRT := createSession(t, st, u.ID, base)
		cutoff := base.Add(3 * time.Hour)
		rotate := func(s *domain.Session, old domain.RefreshToken, at time.Time, ttl time.Duration) domain.RefreshToken {
			t.Helper()
			next := domain.RefreshToken{Hash: newHash(), SessionID: s.ID, CreatedAt: at, ExpiresAt: at.Add(ttl)}
			ok, err := st.Sessions.Rotate(ctx(t), old.Hash, next)
			must(t, err, "rotate")
			if !ok {
				t.Fatalf("rotate of a fresh token reported false")
			}
			return next
		}
		mid := rotate(kept, keptRT, base.Add(50*time.Minute), time.Hour)
		last := rotate(kept, mid, base.Add(110*time.Minute), 2*time.Hour) // expires at base+3h50m
		rotate(ended, endedRT, base.Add(50*time.Minute), time.Hour)       // expires at base+1h50m

		got, err := st.Sessions.ByID(ctx(t), kept.ID)
		must(t, err, "by id")
		sameTime(t, "LastUsedAt", got.LastUsedAt, last.CreatedAt)
		sameTime(t, "RefreshExpiresAt", got.RefreshExpiresAt, last.ExpiresAt)
		_, viaSpent, _, err := st.Sessions.RefreshToken(ctx(t), keptRT.Hash) // the session read through a spent token
		must(t, err, "spent token")
		sameTime(t, "LastUsedAt through a spent token", viaSpent.LastUsedAt, last.CreatedAt)
		sameTime(t, "RefreshExpiresAt through a spent token", viaSpent.RefreshExpiresAt, last.ExpiresAt)

		live, err := st.Sessions.ListLive(ctx(t), u.ID, cutoff)
		must(t, err, "list live")
		if !slices.Equal(ids(live), []domain.SessionID{kept.ID}) {
			t.Errorf("live at cutoff = %v, want only %s", ids(live), kept.ID)
		}
		n, err := st.Sessions.DeleteExpired(ctx(t), cutoff)
		must(t, err, "delete expired")
		if n != 1 {
			t.Errorf("delete expired removed %d sessions, want 1", n)
		}
		if _, err := st.Sessions.ByID(ctx(t), ended.ID); !errors.Is(err, domain.ErrSessionNotFound) {
			t.Errorf("the ended session is still there (err %v)", err)
		}
		wasLive, err := st.Sessions.Revoke(ctx(t), kept.ID, cutoff)
		must(t, err, "revoke")
		if !wasLive {
			t.Errorf("revoke of the rotated session at cutoff reported it was not live")
		}
	})

	t.Run("delete expired goes through more ended sessions than one statement takes, and keeps the rest", func(t *testing.T) {
		// More of each way to end than one batch of the SQL stores (1,000
		// sessions), with distinct stored refresh expiries so that they fall
		// in several windows, and sessions kept alive by rotations among them.
		st := newStore(t)
		u := createUser(t, st)
		cutoff := base.Add(48 * time.Hour)
		var ended, kept, live []*domain.Session
		var keptRT []domain.RefreshToken
		must(t, st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
			for i := range 3300 {
				s, rt := newSession(u.ID, base)
				at := base.Add(time.Hour + time.Duration(i)*time.Millisecond)
				s.RefreshExpiresAt, rt.ExpiresAt = at, at // the refresh expiry passed before cutoff
				switch {
				case i%100 == 7:
					kept = append(kept, s)
				case i < 1100:
					ended = append(ended, s)
				case i < 2200: // absolute limit passed; refresh expiry after cutoff
					s.ExpiresAt = cutoff.Add(-time.Minute)
					s.RefreshExpiresAt, rt.ExpiresAt = cutoff.Add(time.Hour), cutoff.Add(time.Hour)
					ended = append(ended, s)
				default: // revoked before cutoff; refresh expiry after cutoff
					s.ExpiresAt = cutoff.Add(24 * time.Hour)
					s.RefreshExpiresAt, rt.ExpiresAt = cutoff.Add(time.Hour), cutoff.Add(time.Hour)
					s.RevokedAt = ptr(cutoff.Add(-time.Minute))
					ended = append(ended, s)
				}
				if i%100 == 7 {
					s.ExpiresAt = cutoff.Add(24 * time.Hour)
					keptRT = append(keptRT, rt)
				}
				if err := st.Sessions.Create(ctx, s, rt); err != nil {
					return err
				}
			}
			for range 3 {
				s, rt := newSession(u.ID, cutoff.Add(-time.Minute))
				live = append(live, s)
				if err := st.Sessions.Create(ctx, s, rt); err != nil {
					return err
				}
			}
			return nil
		}), "create sessions")
		var nextExpiry []time.Time
		for i, s := range kept {
			next := domain.RefreshToken{Hash: newHash(), SessionID: s.ID, CreatedAt: base.Add(30 * time.Minute),
				ExpiresAt: cutoff.Add(time.Duration(i+1) * time.Minute)}
			ok, err := st.Sessions.Rotate(ctx(t), keptRT[i].Hash, next)
			must(t, err, "rotate")
			if !ok {
				t.Fatal("rotate of a fresh token reported false")
			}
			nextExpiry = append(nextExpiry, next.ExpiresAt)
		}

		n, err := st.Sessions.DeleteExpired(ctx(t), cutoff)
		must(t, err, "delete expired")
		if n != len(ended) {
			t.Errorf("delete expired removed %d sessions, want %d", n, len(ended))
		}
		for _, s := range ended {
			if _, err := st.Sessions.ByID(ctx(t), s.ID); !errors.Is(err, domain.ErrSessionNotFound) {
				t.Fatalf("ended session %s still there (err %v)", s.ID, err)
			}
		}
		for i, s := range kept {
			got, err := st.Sessions.ByID(ctx(t), s.ID)
			must(t, err, "kept session")
			sameTime(t, "RefreshExpiresAt of a session kept alive", got.RefreshExpiresAt, nextExpiry[i])
		}
		got, err := st.Sessions.ListLive(ctx(t), u.ID, cutoff)
		must(t, err, "list live")
		if len(got) != len(kept)+len(live) {
			t.Errorf("%d sessions live at cutoff, want %d", len(got), len(kept)+len(live))
		}
		if n, err := st.Sessions.DeleteExpired(ctx(t), cutoff); n != 0 || err != nil {
			t.Errorf("a second delete expired removed %d sessions (err %v), want 0", n, err)
		}
		if n, err := st.Sessions.DeleteExpired(ctx(t), cutoff.Add(40*time.Minute)); n != len(kept) || err != nil {
			t.Errorf("delete expired once the kept sessions' newest tokens expired removed %d (err %v), want %d", n, err, len(kept))
		}
	})

	t.Run("two sweeps at once delete each ended session once and neither fails", func(t *testing.T) {
		st := newStore(t) // instances start their janitors together after a deploy
		u := createUser(t, st)
		cutoff := base.Add(48 * time.Hour)
		const ended = 2500
		must(t, st.Tx.WithinTx(ctx(t), func(ctx context.Context) error {
			for i := range ended {
				s, rt := newSession(u.ID, base)
				if i%2 == 0 { // half by the absolute limit, half by the refresh expiry
					s.RefreshExpiresAt = cutoff.Add(time.Hour)
				} else {
					s.ExpiresAt = cutoff.Add(24 * time.Hour)
				}
				s.RefreshExpiresAt = s.RefreshExpiresAt.Add(time.Duration(i) * time.Millisecond)
				rt.ExpiresAt = s.RefreshExpiresAt
				if err := st.Sessions.Create(ctx, s, rt); err != nil {
					return err
				}
			}
			return nil
		}), "create sessions")
		var counts [2]int
		var errs [2]error
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() { counts[i], errs[i] = st.Sessions.DeleteExpired(ctx(t), cutoff) })
		}
		wg.Wait()
		for i, err := range errs {
			must(t, err, fmt.Sprint("sweep ", i+1))
		}
		if counts[0]+counts[1] != ended {
			t.Errorf("the sweeps removed %d + %d sessions, want %d in all", counts[0], counts[1], ended)
		}
		if n, err := st.Sessions.DeleteExpired(ctx(t), cutoff); n != 0 || err != nil {
			t.Errorf("a third sweep removed %d sessions (err %v), want 0", n, err)
		}
	})
}

// ids lists the ids of sessions, for messages and comparisons.
func ids(ss []domain.Session) []domain.SessionID {
	out := make([]domain.SessionID, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

// sameSession fails the test unless got and want agree on every field.
func sameSession(t *testing.T, got, want domain.Session) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.UserAgent != want.UserAgent || got.IP != want.IP {
		t.Errorf("session = %+v\nwant      %+v", got, want)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	sameTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	sameTime(t, "RefreshExpiresAt", got.RefreshExpiresAt, want.RefreshExpiresAt)
	sameOptTime(t, "RevokedAt", got.RevokedAt, want.RevokedAt)
}

// sameRefresh fails the test unless got and want agree on every field.
func sameRefresh(t *testing.T, got, want domain.RefreshToken) {
	t.Helper()
	if !bytes.Equal(got.Hash, want.Hash) || got.SessionID != want.SessionID {
		t.Errorf("refresh token of session %s, want %s (or hash differs)", got.SessionID, want.SessionID)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	sameOptTime(t, "RotatedAt", got.RotatedAt, want.RotatedAt)
}
