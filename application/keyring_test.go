package application

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"authd/application/fakes"
	"authd/domain"
	"authd/ports"
)

var keyRingStart = time.Date(2026, time.December, 2, 9, 0, 0, 0, time.UTC)

func keyRingConfig() KeyRingConfig {
	return KeyRingConfig{ManageSigning: true, ManageHMAC: true, JWKSMaxAge: 5 * time.Minute, AccessTokenTTL: 15 * time.Minute}
}

func newTestKeyRing(t *testing.T, cfg KeyRingConfig, st *fakes.Store, sealer ports.Sealer, clock *fakes.Clock) *KeyRing {
	t.Helper()
	k, err := NewKeyRing(t.Context(), cfg, st.KeyRing(), sealer, clock, &fakes.Random{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("new key ring: %v", err)
	}
	return k
}

func signingKid(t *testing.T, k *KeyRing) string {
	t.Helper()
	kid, _, err := k.SigningKey()
	if err != nil {
		t.Fatalf("signing key: %v", err)
	}
	return kid
}

func TestKeyRing(t *testing.T) {
	t.Parallel()

	t.Run("the first instance creates the ring; the second shares its keys", func(t *testing.T) {
		st, clock := fakes.NewStore(), fakes.NewClock(keyRingStart)
		a := newTestKeyRing(t, keyRingConfig(), st, fakes.Sealer{Key: "k"}, clock)
		b := newTestKeyRing(t, keyRingConfig(), st, fakes.Sealer{Key: "k"}, clock)
		if len(a.HMACKey()) < 32 || a.HMACKey() != b.HMACKey() {
			t.Fatal("the instances do not share one HMAC key of at least 32 bytes")
		}
		if signingKid(t, a) != signingKid(t, b) || len(a.PublishedKeys()) != 1 {
			t.Fatal("the instances do not sign with the one key of the ring")
		}
		ring, _ := st.KeyRing().Load(t.Context())
		if len(ring.Keys) != 1 || !strings.HasPrefix(string(ring.Keys[0].PrivateKey), "sealed:k:"+ring.Keys[0].Kid+":") {
			t.Fatal("the private key is not stored sealed, bound to its kid")
		}
	})

	t.Run("rotation: next, then signing after the JWKS max age, the old key retiring, then retired and refused", func(t *testing.T) {
		st, clock := fakes.NewStore(), fakes.NewClock(keyRingStart)
		cfg := keyRingConfig()
		a := newTestKeyRing(t, cfg, st, fakes.Sealer{}, clock)
		b := newTestKeyRing(t, cfg, st, fakes.Sealer{}, clock)
		old := signingKid(t, a)

		next, err := a.Rotate(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if next.State != domain.KeyNext || !next.ActivatesAt.Equal(keyRingStart.Add(cfg.JWKSMaxAge)) {
			t.Fatalf("the new key is %s from %s, want next from %s", next.State, next.ActivatesAt, keyRingStart.Add(cfg.JWKSMaxAge))
		}
		if signingKid(t, a) != old {
			t.Fatal("the new key signs before every cached JWKS can know it")
		}
		if _, ok := a.VerificationKey(next.Kid); !ok || len(a.PublishedKeys()) != 2 {
			t.Fatal("the new key is not published at once")
		}
		if _, ok := b.VerificationKey(next.Kid); ok {
			t.Fatal("the other instance knew the key before reloading (test premise)")
		}
		if err := b.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, ok := b.VerificationKey(next.Kid); !ok {
			t.Fatal("the other instance does not publish the new key after reloading")
		}

		clock.Advance(cfg.JWKSMaxAge)
		for _, k := range []*KeyRing{a, b} {
			if signingKid(t, k) != next.Kid {
				t.Fatal("the new key does not sign once the JWKS max age has passed")
			}
			if _, ok := k.VerificationKey(old); !ok {
				t.Fatal("the old key is no longer accepted while its tokens may be live")
			}
		}
		list, err := a.ListKeys(t.Context())
		if err != nil || len(list) != 2 || list[0].State != domain.KeyRetiring || list[1].State != domain.KeySigning {
			t.Fatalf("list = %+v, %v; want retiring, signing", list, err)
		}
		if !list[0].RetiresAt.Equal(keyRingStart.Add(cfg.JWKSMaxAge + cfg.AccessTokenTTL)) {
			t.Fatalf("the old key retires at %s", list[0].RetiresAt)
		}

		clock.Advance(cfg.AccessTokenTTL - time.Millisecond)
		if _, ok := b.VerificationKey(old); !ok {
			t.Fatal("the old key was retired before its last token expired")
		}
		clock.Advance(time.Millisecond)
		for _, k := range []*KeyRing{a, b} {
			if _, ok := k.VerificationKey(old); ok {
				t.Fatal("a retired key is still accepted")
			}
			if pub := k.PublishedKeys(); len(pub) != 1 || pub[0].Kid != next.Kid {
				t.Fatalf("published %+v, want only the signing key", pub)
			}
		}
		list, _ = a.ListKeys(t.Context())
		if list[0].State != domain.KeyRetired {
			t.Fatalf("the old key is %s, want retired", list[0].State)
		}
	})

	t.Run("an earlier version's key files are imported with the same kid", func(t *testing.T) {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		cfg := keyRingConfig()
		cfg.LegacySigningKey, cfg.LegacyHMACKey = priv, domain.Secret(strings.Repeat("h", 64))
		k := newTestKeyRing(t, cfg, fakes.NewStore(), fakes.Sealer{}, fakes.NewClock(keyRingStart))
		if signingKid(t, k) != domain.Ed25519KeyID(pub) || k.HMACKey() != cfg.LegacyHMACKey {
			t.Fatal("the key files were not imported as they were")
		}
	})

	t.Run("a wrong encryption key stops start-up naming the variable", func(t *testing.T) {
		st, clock := fakes.NewStore(), fakes.NewClock(keyRingStart)
		newTestKeyRing(t, keyRingConfig(), st, fakes.Sealer{Key: "right"}, clock)
		_, err := NewKeyRing(t.Context(), keyRingConfig(), st.KeyRing(), fakes.Sealer{Key: "wrong"}, clock, &fakes.Random{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil || !strings.Contains(err.Error(), "AUTH_KEY_ENCRYPTION_KEY") {
			t.Fatalf("err = %v, want one naming AUTH_KEY_ENCRYPTION_KEY", err)
		}
	})

	t.Run("a corrupted row stops start-up and never replaces the keys in hand", func(t *testing.T) {
		st, clock := fakes.NewStore(), fakes.NewClock(keyRingStart)
		k := newTestKeyRing(t, keyRingConfig(), st, fakes.Sealer{}, clock)
		kid := signingKid(t, k)
		bad, _ := k.store(mustKey(t), keyRingStart, keyRingStart)
		bad.PublicKey = make([]byte, ed25519.PublicKeySize) // does not match
		if err := st.KeyRing().AddKey(t.Context(), bad); err != nil {
			t.Fatal(err)
		}
		if err := k.Refresh(t.Context()); err == nil || !strings.Contains(err.Error(), "corrupted") {
			t.Fatalf("refresh err = %v, want corrupted", err)
		}
		if signingKid(t, k) != kid {
			t.Fatal("a failed reload changed the keys in hand")
		}
		_, err := NewKeyRing(t.Context(), keyRingConfig(), st.KeyRing(), fakes.Sealer{}, clock, &fakes.Random{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil || !strings.Contains(err.Error(), bad.Kid) {
			t.Fatalf("start-up err = %v, want one naming the key", err)
		}
	})

	t.Run("configured keys leave the ring alone and cannot be rotated", func(t *testing.T) {
		st := fakes.NewStore()
		k := newTestKeyRing(t, KeyRingConfig{JWKSMaxAge: time.Minute}, st, fakes.Sealer{}, fakes.NewClock(keyRingStart))
		if _, err := k.Rotate(t.Context()); !errors.Is(err, ErrKeysConfigured) {
			t.Fatalf("rotate err = %v", err)
		}
		if ring, _ := st.KeyRing().Load(t.Context()); ring.HMACKey != nil {
			t.Fatal("the ring was created although every key is configured")
		}
	})
}

func mustKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}
