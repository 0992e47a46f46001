package fakes

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"time"

	"authd/domain"
	"authd/ports"
)

// KeyRing is the store's ports.KeyRing.
type KeyRing struct{ s *Store }

// KeyRing returns the store's key ring.
func (s *Store) KeyRing() KeyRing { return KeyRing{s} }

// Load returns a copy of the ring, keys in activation order.
func (r KeyRing) Load(ctx context.Context) (ports.StoredRing, error) {
	var out ports.StoredRing
	err := r.s.view(ctx, func(st *state) error {
		if st.ring.HMACKey != nil {
			out.HMACKey = bytes.Clone(st.ring.HMACKey)
			if out.HMACKey == nil {
				out.HMACKey = []byte{}
			}
		}
		for _, k := range st.ring.Keys {
			out.Keys = append(out.Keys, copyKey(k))
		}
		return nil
	})
	slices.SortStableFunc(out.Keys, func(a, b ports.StoredSigningKey) int {
		if c := a.ActivatesAt.Compare(b.ActivatesAt); c != 0 {
			return c
		}
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		switch {
		case a.Kid < b.Kid:
			return -1
		case a.Kid > b.Kid:
			return 1
		}
		return 0
	})
	return out, err
}

// Initialize creates the ring once; false when it exists.
func (r KeyRing) Initialize(ctx context.Context, hmacKey []byte, at time.Time, first *ports.StoredSigningKey) (bool, error) {
	created := false
	err := r.s.change(ctx, func(st *state, _ *txValue) error {
		if st.ring.HMACKey != nil {
			return nil
		}
		if first != nil {
			if err := addKey(st, *first); err != nil {
				return err
			}
		}
		st.ring.HMACKey = bytes.Clone(hmacKey)
		if st.ring.HMACKey == nil {
			st.ring.HMACKey = []byte{}
		}
		created = true
		return nil
	})
	return created, err
}

// AddKey adds k; domain.ErrConflict when its kid exists.
func (r KeyRing) AddKey(ctx context.Context, k ports.StoredSigningKey) error {
	return r.s.change(ctx, func(st *state, _ *txValue) error { return addKey(st, k) })
}

func addKey(st *state, k ports.StoredSigningKey) error {
	for _, have := range st.ring.Keys {
		if have.Kid == k.Kid {
			return domain.ErrConflict
		}
	}
	st.ring.Keys = append(st.ring.Keys, copyKey(k))
	return nil
}

func copyKey(k ports.StoredSigningKey) ports.StoredSigningKey {
	k.PrivateKey, k.PublicKey = bytes.Clone(k.PrivateKey), bytes.Clone(k.PublicKey)
	k.CreatedAt, k.ActivatesAt = k.CreatedAt.UTC().Truncate(time.Millisecond), k.ActivatesAt.UTC().Truncate(time.Millisecond)
	return k
}

// Sealer is a ports.Sealer that "seals" by tagging the value with its key and
// context, so a value sealed under another key or for another row does not open.
type Sealer struct{ Key string }

var _ ports.Sealer = Sealer{}

// Seal tags plain with the key and context.
func (s Sealer) Seal(plain []byte, context string) ([]byte, error) {
	return append([]byte("sealed:"+s.Key+":"+context+":"), plain...), nil
}

// Open removes the tag, refusing another key's or row's.
func (s Sealer) Open(stored []byte, context string) ([]byte, error) {
	prefix := []byte("sealed:" + s.Key + ":" + context + ":")
	if !bytes.HasPrefix(stored, prefix) {
		return nil, errors.New("fake sealer: the value does not open with AUTH_KEY_ENCRYPTION_KEY")
	}
	return bytes.Clone(stored[len(prefix):]), nil
}

// Enabled reports whether a key is set.
func (s Sealer) Enabled() bool { return s.Key != "" }
