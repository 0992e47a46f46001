package contract

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"authd/domain"
	"authd/ports"
)

// storedKey returns a signing-key row with random bytes (zero and 0xff bytes
// included, to catch text columns) activating at activates.
func storedKey(created, activates time.Time) ports.StoredSigningKey {
	priv := append([]byte{0, 0xff, 'g'}, newHash()...)
	return ports.StoredSigningKey{Kid: newID(), Algorithm: "EdDSA", PrivateKey: priv, PublicKey: newHash(),
		CreatedAt: created.In(elsewhere), ActivatesAt: activates.In(elsewhere)}
}

func sameKey(t *testing.T, got, want ports.StoredSigningKey) {
	t.Helper()
	if got.Kid != want.Kid || got.Algorithm != want.Algorithm || !bytes.Equal(got.PrivateKey, want.PrivateKey) || !bytes.Equal(got.PublicKey, want.PublicKey) {
		t.Errorf("stored key %s/%s differs from %s/%s (or its bytes do)", got.Kid, got.Algorithm, want.Kid, want.Algorithm)
	}
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTime(t, "activates_at", got.ActivatesAt, want.ActivatesAt)
}

// KeyRing checks the key ring store: created once however many instances
// race for it, keys kept byte for byte, in activation order.
func KeyRing(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("an empty ring has no HMAC key and no signing keys", func(t *testing.T) {
		st := newStore(t)
		ring, err := st.KeyRing.Load(ctx(t))
		must(t, err, "load")
		if ring.HMACKey != nil || len(ring.Keys) != 0 {
			t.Fatalf("empty ring = %+v", ring)
		}
	})

	t.Run("initialize stores the HMAC key and the first key; a second initialize changes nothing", func(t *testing.T) {
		st := newStore(t)
		hmac := append([]byte{0, 0xff}, newHash()...)
		first := storedKey(base, base)
		created, err := st.KeyRing.Initialize(ctx(t), hmac, base, &first)
		must(t, err, "initialize")
		if !created {
			t.Fatal("the first initialize did not create the ring")
		}
		other := storedKey(base, base)
		created, err = st.KeyRing.Initialize(ctx(t), newHash(), base, &other)
		must(t, err, "initialize again")
		if created {
			t.Fatal("a second initialize created the ring again")
		}
		ring, err := st.KeyRing.Load(ctx(t))
		must(t, err, "load")
		if !bytes.Equal(ring.HMACKey, hmac) {
			t.Fatal("the HMAC key changed or was not kept byte for byte")
		}
		if len(ring.Keys) != 1 {
			t.Fatalf("%d keys after two initializations, want 1", len(ring.Keys))
		}
		sameKey(t, ring.Keys[0], first)
	})

	t.Run("initialize without a first key creates the ring with no keys", func(t *testing.T) {
		st := newStore(t)
		created, err := st.KeyRing.Initialize(ctx(t), newHash(), base, nil)
		must(t, err, "initialize")
		ring, err := st.KeyRing.Load(ctx(t))
		must(t, err, "load")
		if !created || ring.HMACKey == nil || len(ring.Keys) != 0 {
			t.Fatalf("created %v, ring %+v", created, ring)
		}
	})

	t.Run("instances racing to initialize: exactly one wins and its key is the only one", func(t *testing.T) {
		st := newStore(t)
		const n = 8
		var wg sync.WaitGroup
		wins := make([]bool, n)
		errs := make([]error, n)
		keys := make([]ports.StoredSigningKey, n)
		for i := range n {
			keys[i] = storedKey(base, base)
			wg.Add(1)
			go func() {
				defer wg.Done()
				wins[i], errs[i] = st.KeyRing.Initialize(ctx(t), newHash(), base, &keys[i])
			}()
		}
		wg.Wait()
		winner := -1
		for i := range n {
			must(t, errs[i], "racing initialize")
			if wins[i] {
				if winner >= 0 {
					t.Fatal("two initializations both created the ring")
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatal("no initialization created the ring")
		}
		ring, err := st.KeyRing.Load(ctx(t))
		must(t, err, "load")
		if len(ring.Keys) != 1 {
			t.Fatalf("%d keys after the race, want 1", len(ring.Keys))
		}
		sameKey(t, ring.Keys[0], keys[winner])
	})

	t.Run("added keys come back in activation order; a duplicate kid is a conflict", func(t *testing.T) {
		st := newStore(t)
		first := storedKey(base, base)
		_, err := st.KeyRing.Initialize(ctx(t), newHash(), base, &first)
		must(t, err, "initialize")
		later := storedKey(base.Add(time.Hour), base.Add(2*time.Hour))
		sooner := storedKey(base.Add(2*time.Hour), base.Add(90*time.Minute))
		must(t, st.KeyRing.AddKey(ctx(t), later), "add later")
		must(t, st.KeyRing.AddKey(ctx(t), sooner), "add sooner")
		dup := storedKey(base, base)
		dup.Kid = later.Kid
		wantErr(t, st.KeyRing.AddKey(ctx(t), dup), domain.ErrConflict, "duplicate kid")
		ring, err := st.KeyRing.Load(ctx(t))
		must(t, err, "load")
		if len(ring.Keys) != 3 {
			t.Fatalf("%d keys, want 3", len(ring.Keys))
		}
		sameKey(t, ring.Keys[0], first)
		sameKey(t, ring.Keys[1], sooner)
		sameKey(t, ring.Keys[2], later)
	})

	t.Run("a key added in a transaction that rolls back is not kept", func(t *testing.T) {
		st := newStore(t)
		k := storedKey(base, base)
		err := st.Tx.WithinTx(ctx(t), func(c context.Context) error {
			must(t, st.KeyRing.AddKey(c, k), "add in tx")
			return errRollback
		})
		wantErr(t, err, errRollback, "rolled back")
		ring, err := st.KeyRing.Load(ctx(t))
		must(t, err, "load")
		if len(ring.Keys) != 0 {
			t.Fatal("a rolled-back key was kept")
		}
	})
}
