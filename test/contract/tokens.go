package contract

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"authd/domain"
)

// newToken returns an unused token of purpose for user, created at base and
// valid for an hour.
func newToken(user domain.UserID, purpose domain.TokenPurpose) *domain.OneTimeToken {
	return &domain.OneTimeToken{
		ID:        newID(),
		Hash:      newHash(),
		Purpose:   purpose,
		UserID:    user,
		CreatedAt: base,
		ExpiresAt: base.Add(time.Hour),
	}
}

// createToken stores a new token of purpose for user.
func createToken(t *testing.T, st Store, user domain.UserID, purpose domain.TokenPurpose) *domain.OneTimeToken {
	t.Helper()
	tok := newToken(user, purpose)
	must(t, st.Tokens.Create(ctx(t), tok), "create token")
	return tok
}

// OneTimeTokens checks an implementation of ports.OneTimeTokenRepository.
func OneTimeTokens(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("a created token is consumed once and comes back with every field", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		tok := newToken(u.ID, domain.PurposeResetOTP)
		tok.CreatedAt = base.Add(11 * time.Millisecond).In(elsewhere)
		tok.ExpiresAt = base.Add(10*time.Minute + 22*time.Millisecond).In(elsewhere)
		tok.Attempts = 2
		must(t, st.Tokens.Create(ctx(t), tok), "create")
		now := base.Add(time.Minute + 33*time.Millisecond)

		got, err := st.Tokens.Consume(ctx(t), domain.PurposeResetOTP, tok.Hash, now)
		must(t, err, "consume")
		want := *tok
		want.UsedAt = &now
		sameToken(t, got, &want)
	})

	t.Run("a consumed token cannot be consumed again", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		tok := createToken(t, st, u.ID, domain.PurposeVerifyEmail)
		_, err := st.Tokens.Consume(ctx(t), tok.Purpose, tok.Hash, base.Add(time.Minute))
		must(t, err, "first consume")
		_, err = st.Tokens.Consume(ctx(t), tok.Purpose, tok.Hash, base.Add(2*time.Minute))
		wantErr(t, err, domain.ErrTokenNotFound, "second consume")
	})

	t.Run("a token is not consumable at or after its expiry", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		tok := createToken(t, st, u.ID, domain.PurposeResetLink)
		for _, now := range []time.Time{tok.ExpiresAt, tok.ExpiresAt.Add(time.Second)} {
			_, err := st.Tokens.Consume(ctx(t), tok.Purpose, tok.Hash, now)
			wantErr(t, err, domain.ErrTokenNotFound, "consume at "+now.Format(time.RFC3339Nano))
		}
		_, err := st.Tokens.Consume(ctx(t), tok.Purpose, tok.Hash, tok.ExpiresAt.Add(-time.Second))
		must(t, err, "consume just before expiry")
	})

	t.Run("a token is not consumable for another purpose", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		tok := createToken(t, st, u.ID, domain.PurposeResetLink)
		for _, p := range []domain.TokenPurpose{domain.PurposeVerifyEmail, domain.PurposeResetOTP} {
			_, err := st.Tokens.Consume(ctx(t), p, tok.Hash, base.Add(time.Minute))
			wantErr(t, err, domain.ErrTokenNotFound, "consume as "+string(p))
		}
		_, err := st.Tokens.Consume(ctx(t), tok.Purpose, tok.Hash, base.Add(time.Minute))
		must(t, err, "consume for its own purpose")
	})

	t.Run("an unknown hash is ErrTokenNotFound", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		createToken(t, st, u.ID, domain.PurposeVerifyEmail)
		_, err := st.Tokens.Consume(ctx(t), domain.PurposeVerifyEmail, newHash(), base.Add(time.Minute))
		wantErr(t, err, domain.ErrTokenNotFound, "consume")
	})

	t.Run("of 20 concurrent consumptions of one token exactly one succeeds", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		tok := createToken(t, st, u.ID, domain.PurposeResetOTP)
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = st.Tokens.Consume(ctx(t), tok.Purpose, tok.Hash, base.Add(time.Minute))
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, domain.ErrTokenNotFound):
				t.Errorf("consume failed: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d consumptions succeeded, want exactly 1", ok)
		}
	})

	t.Run("void spends the user's unused tokens of the given purposes only", func(t *testing.T) {
		st := newStore(t)
		u, other := createUser(t, st), createUser(t, st)
		verify := createToken(t, st, u.ID, domain.PurposeVerifyEmail)
		link := createToken(t, st, u.ID, domain.PurposeResetLink)
		otp := createToken(t, st, u.ID, domain.PurposeResetOTP)
		othersLink := createToken(t, st, other.ID, domain.PurposeResetLink)
		now := base.Add(time.Minute)

		must(t, st.Tokens.Void(ctx(t), u.ID, now, domain.PurposeResetLink, domain.PurposeResetOTP), "void")
		for _, tok := range []*domain.OneTimeToken{link, otp} {
			_, err := st.Tokens.Consume(ctx(t), tok.Purpose, tok.Hash, now.Add(time.Second))
			wantErr(t, err, domain.ErrTokenNotFound, "consume voided "+string(tok.Purpose))
		}
		for _, tok := range []*domain.OneTimeToken{verify, othersLink} {
			_, err := st.Tokens.Consume(ctx(t), tok.Purpose, tok.Hash, now.Add(time.Second))
			must(t, err, "consume untouched "+string(tok.Purpose))
		}
	})

	t.Run("a token created after a void is usable", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		createToken(t, st, u.ID, domain.PurposeResetLink)
		must(t, st.Tokens.Void(ctx(t), u.ID, base.Add(time.Minute), domain.PurposeResetLink), "void")
		fresh := createToken(t, st, u.ID, domain.PurposeResetLink)
		_, err := st.Tokens.Consume(ctx(t), fresh.Purpose, fresh.Hash, base.Add(2*time.Minute))
		must(t, err, "consume the fresh token")
	})

	t.Run("delete expired removes only tokens that expired before the cutoff", func(t *testing.T) {
		st := newStore(t)
		u := createUser(t, st)
		cutoff := base.Add(2 * time.Hour)
		var gone, kept []*domain.OneTimeToken
		for i, exp := range []time.Time{base.Add(time.Hour), cutoff.Add(-time.Millisecond), cutoff, cutoff.Add(time.Hour)} {
			tok := newToken(u.ID, domain.PurposeResetLink)
			tok.ExpiresAt = exp
			must(t, st.Tokens.Create(ctx(t), tok), "create")
			if i < 2 {
				gone = append(gone, tok)
			} else {
				kept = append(kept, tok)
			}
		}
		n, err := st.Tokens.DeleteExpired(ctx(t), cutoff)
		must(t, err, "delete expired")
		if n != len(gone) {
			t.Errorf("delete expired removed %d, want %d", n, len(gone))
		}
		// A deleted token can no longer be consumed even at a time it would have been valid;
		// a kept one can.
		for _, tok := range gone {
			_, err := st.Tokens.Consume(ctx(t), tok.Purpose, tok.Hash, base)
			wantErr(t, err, domain.ErrTokenNotFound, "consume deleted token")
		}
		for _, tok := range kept {
			_, err := st.Tokens.Consume(ctx(t), tok.Purpose, tok.Hash, base)
			must(t, err, "consume kept token")
		}
	})
}

// sameToken fails the test unless got and want agree on every field.
func sameToken(t *testing.T, got, want *domain.OneTimeToken) {
	t.Helper()
	if got.ID != want.ID || !bytes.Equal(got.Hash, want.Hash) || got.Purpose != want.Purpose ||
		got.UserID != want.UserID || got.Attempts != want.Attempts {
		t.Errorf("token %s (%s of %s, %d attempts), want %s (%s of %s, %d attempts)",
			got.ID, got.Purpose, got.UserID, got.Attempts, want.ID, want.Purpose, want.UserID, want.Attempts)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	sameOptTime(t, "UsedAt", got.UsedAt, want.UsedAt)
}
