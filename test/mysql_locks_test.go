package test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"authd/domain"
	"authd/test/contract"
)

// Writes for one user never wait for a transaction of another user. Under
// InnoDB's default REPEATABLE READ they did: an UPDATE or locking read that
// matched no row locked the gap where such rows would go, and with
// time-ordered ids every new user's rows go into the same gap, so concurrent
// sign-ups deadlocked (voiding no tokens, then inserting one). The store runs
// every connection at READ COMMITTED, which takes record locks only.

// lockFreeWithin bounds how long the second writer may take; it only has to be
// much less than InnoDB's lock wait timeout (50 s), which it would wait for if
// it were blocked.
const lockFreeWithin = 20 * time.Second

func TestMySQLNoGapLocks(t *testing.T) {
	cases := []struct {
		name string
		// hold runs inside the open transaction for user a and matches no row.
		hold func(ctx context.Context, st contract.Store, a domain.UserID) error
		// then runs on its own for user b while the transaction is open.
		then func(ctx context.Context, st contract.Store, b domain.UserID) error
	}{
		{
			name: "voiding another user's (absent) tokens does not block issuing one",
			hold: func(ctx context.Context, st contract.Store, a domain.UserID) error {
				return st.Tokens.Void(ctx, a, time.Now(), domain.PurposeVerifyEmail)
			},
			then: func(ctx context.Context, st contract.Store, b domain.UserID) error {
				now := time.Now()
				return st.Tokens.Create(ctx, &domain.OneTimeToken{ID: newTestID(), Hash: []byte(rand.Text()), Purpose: domain.PurposeVerifyEmail,
					UserID: b, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
			},
		},
		{
			name: "revoking another user's (absent) sessions does not block a login",
			hold: func(ctx context.Context, st contract.Store, a domain.UserID) error {
				_, err := st.Sessions.RevokeAllForUser(ctx, a, time.Now())
				return err
			},
			then: func(ctx context.Context, st contract.Store, b domain.UserID) error {
				now := time.Now()
				s := &domain.Session{ID: domain.SessionID(newTestID()), UserID: b, CreatedAt: now, LastUsedAt: now,
					ExpiresAt: now.Add(time.Hour), RefreshExpiresAt: now.Add(time.Hour)}
				return st.Sessions.Create(ctx, s, domain.RefreshToken{Hash: []byte(rand.Text()), SessionID: s.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
			},
		},
		{
			name: "claiming mail when none is due does not block queueing a message",
			hold: func(ctx context.Context, st contract.Store, _ domain.UserID) error {
				_, err := st.Outbox.Claim(ctx, time.Now(), time.Minute, 10)
				return err
			},
			then: func(ctx context.Context, st contract.Store, _ domain.UserID) error {
				return st.Outbox.Enqueue(ctx, domain.Message{To: domain.MustEmail("b@example.com"), Subject: "s", Text: "t"}, time.Now().Add(time.Hour))
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := newMySQLStore(t)
			var ids [2]domain.UserID
			for i := range ids {
				now := time.Now()
				u := &domain.User{ID: domain.UserID(newTestID()), Email: domain.MustEmail(fmt.Sprintf("u%d-%s@example.com", i, rand.Text()[:6])),
					PasswordHash: "h", Role: "customer", CreatedAt: now, UpdatedAt: now}
				if err := st.Users.Create(t.Context(), u); err != nil {
					t.Fatal(err)
				}
				ids[i] = u.ID
			}
			held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			go func() {
				done <- st.Tx.WithinTx(t.Context(), func(ctx context.Context) error {
					if err := c.hold(ctx, st, ids[0]); err != nil {
						return err
					}
					close(held)
					<-release
					return nil
				})
			}()
			select {
			case <-held:
			case err := <-done:
				t.Fatalf("the first transaction failed: %v", err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), lockFreeWithin)
			err := c.then(ctx, st, ids[1])
			cancel()
			close(release)
			if err != nil {
				t.Errorf("the second writer waited for the first transaction's locks: %v", err)
			}
			if err := <-done; err != nil {
				t.Fatalf("the first transaction failed: %v", err)
			}
		})
	}
}

// newTestID returns a time-ordered id like the service's (UUIDv7), so that
// rows of users created one after another are neighbours in every index.
func newTestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ms := uint64(time.Now().UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
