package fakes

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"authd/domain"
	"authd/ports"
)

var (
	_ ports.TOTPRepository         = TOTP{}
	_ ports.RecoveryCodeRepository = RecoveryCodes{}
)

// TOTP is the store's ports.TOTPRepository.
type TOTP struct{ s *Store }

// RecoveryCodes is the store's ports.RecoveryCodeRepository.
type RecoveryCodes struct{ s *Store }

// TOTP returns the store's TOTP enrolments.
func (s *Store) TOTP() TOTP { return TOTP{s} }

// RecoveryCodes returns the store's recovery codes.
func (s *Store) RecoveryCodes() RecoveryCodes { return RecoveryCodes{s} }

// ByUser returns domain.ErrTOTPNotFound.
func (r TOTP) ByUser(ctx context.Context, uid domain.UserID) (*domain.TOTPEnrolment, error) {
	var out *domain.TOTPEnrolment
	err := r.s.view(ctx, func(st *state) error {
		e, ok := st.totp[uid]
		if !ok {
			return domain.ErrTOTPNotFound
		}
		out = &e
		return nil
	})
	return out, err
}

// Update lets fn change the enrolment (an empty one when there is none).
func (r TOTP) Update(ctx context.Context, uid domain.UserID, fn func(*domain.TOTPEnrolment) error) error {
	return r.s.change(ctx, func(st *state, _ *txValue) error {
		if _, ok := st.users[uid]; !ok {
			return errForeignKey
		}
		e, ok := st.totp[uid]
		if !ok {
			e = domain.TOTPEnrolment{UserID: uid}
		}
		if err := fn(&e); err != nil {
			return err
		}
		e.UserID = uid
		st.totp[uid] = e
		return nil
	})
}

// UseStep accepts step when it is later than the last one of an active enrolment.
func (r TOTP) UseStep(ctx context.Context, uid domain.UserID, step int64, now time.Time) (bool, error) {
	used := false
	err := r.s.change(ctx, func(st *state, _ *txValue) error {
		e, ok := st.totp[uid]
		if ok && e.Accept(step, now) == nil {
			st.totp[uid] = e
			used = true
		}
		return nil
	})
	return used && err == nil, err
}

// Replace drops the user's codes and stores set.
func (r RecoveryCodes) Replace(ctx context.Context, uid domain.UserID, set []domain.RecoveryCode) error {
	return r.s.change(ctx, func(st *state, _ *txValue) error {
		if _, ok := st.users[uid]; !ok {
			return errForeignKey
		}
		for id, c := range st.recovery {
			if c.UserID == uid {
				delete(st.recovery, id)
			}
		}
		for _, c := range set {
			c.UserID = uid
			st.recovery[c.ID] = c
		}
		return nil
	})
}

// Use spends the user's unused code with hash.
func (r RecoveryCodes) Use(ctx context.Context, uid domain.UserID, hash []byte, now time.Time) (bool, error) {
	used := false
	err := r.s.change(ctx, func(st *state, _ *txValue) error {
		for id, c := range st.recovery {
			if c.UserID == uid && c.UsedAt == nil && bytes.Equal(c.Hash, hash) {
				c.UsedAt = &now
				st.recovery[id] = c
				used = true
				return nil
			}
		}
		return nil
	})
	return used && err == nil, err
}

// CountUnused counts the user's unused codes.
func (r RecoveryCodes) CountUnused(ctx context.Context, uid domain.UserID) (int, error) {
	n := 0
	err := r.s.view(ctx, func(st *state) error {
		for _, c := range st.recovery {
			if c.UserID == uid && c.UsedAt == nil {
				n++
			}
		}
		return nil
	})
	return n, err
}

// DeleteAll drops every code of the user.
func (r RecoveryCodes) DeleteAll(ctx context.Context, uid domain.UserID) error {
	return r.s.change(ctx, func(st *state, _ *txValue) error {
		for id, c := range st.recovery {
			if c.UserID == uid {
				delete(st.recovery, id)
			}
		}
		return nil
	})
}

// Find returns the usable token of purpose with hash, unspent.
func (r Tokens) Find(ctx context.Context, p domain.TokenPurpose, hash []byte, now time.Time) (*domain.OneTimeToken, error) {
	var out *domain.OneTimeToken
	err := r.s.view(ctx, func(st *state) error {
		for _, t := range st.tokens {
			if t.Purpose == p && bytes.Equal(t.Hash, hash) && t.Usable(now) {
				out = &t
				return nil
			}
		}
		return domain.ErrTokenNotFound
	})
	return out, err
}

// TOTPCodes is a ports.TOTPCodes whose codes anyone can compute with TOTPCode.
type TOTPCodes struct{}

var _ ports.TOTPCodes = TOTPCodes{}

// TOTPCode is the fake code of secret for a time step.
func TOTPCode(secret domain.Secret, step int64) domain.Secret {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", secret.Reveal(), step)))
	return domain.Secret(fmt.Sprintf("%06d", binary.BigEndian.Uint32(h[:4])%1_000_000))
}

// Match accepts the codes of the previous, current and next step at now.
func (TOTPCodes) Match(secret, code domain.Secret, now time.Time) (int64, bool) {
	cur := now.Unix() / int64(domain.TOTPPeriod/time.Second)
	for s := cur + 1; s >= cur-1; s-- {
		if TOTPCode(secret, s).Equal(code) {
			return s, true
		}
	}
	return 0, false
}
