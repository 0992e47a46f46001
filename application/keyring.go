package application

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"authd/domain"
	"authd/ports"
)

// KeyRingConfig says which keys come from the ring and how the schedule runs.
type KeyRingConfig struct {
	// ManageSigning: the Ed25519 signing keys come from the ring (EdDSA without
	// AUTH_JWT_PRIVATE_KEY_FILE).
	ManageSigning bool
	// ManageHMAC: the server HMAC key comes from the ring (no AUTH_HMAC_SECRET).
	ManageHMAC bool
	// JWKSMaxAge is how long a JWKS may be cached: a new key signs that long
	// after it was added, and every instance reloads the ring twice as often.
	JWKSMaxAge time.Duration
	// AccessTokenTTL is how long a key stays published after it stopped signing.
	AccessTokenTTL time.Duration
	// LegacySigningKey and LegacyHMACKey are the key files an earlier version
	// generated into the data dir, imported when the ring is created; empty
	// when absent.
	LegacySigningKey ed25519.PrivateKey
	LegacyHMACKey    domain.Secret
}

// algEdDSA is the only algorithm of ring keys.
const algEdDSA = "EdDSA"

// hmacContext binds the sealed HMAC key to its row.
const hmacContext = "key_ring/hmac"

// ringKey is a signing key of the ring, opened.
type ringKey struct {
	times domain.SigningKeyTimes
	priv  ed25519.PrivateKey
	pub   ed25519.PublicKey
}

// KeyRing keeps this instance's copy of the key ring that every instance
// sharing the database shares: it creates the ring on first start (importing
// an earlier version's key files), reloads it every JWKSMaxAge/2, signs with
// the newest key whose activation has passed, verifies with every published
// key, and adds keys on rotation. It is safe for concurrent use.
type KeyRing struct {
	cfg    KeyRingConfig
	repo   ports.KeyRing
	sealer ports.Sealer
	clock  ports.Clock
	random ports.Random
	log    *slog.Logger

	mu   sync.RWMutex
	hmac domain.Secret
	keys []ringKey
}

var (
	_ ports.SigningKeys  = (*KeyRing)(nil)
	_ ports.KeyOperators = (*KeyRing)(nil)
)

// NewKeyRing loads the ring, creating it when it does not exist yet. A row
// that does not open (another AUTH_KEY_ENCRYPTION_KEY) or is corrupted is an
// error naming the key, so start-up stops instead of signing with nothing.
func NewKeyRing(ctx context.Context, cfg KeyRingConfig, repo ports.KeyRing, sealer ports.Sealer, clock ports.Clock, random ports.Random, log *slog.Logger) (*KeyRing, error) {
	k := &KeyRing{cfg: cfg, repo: repo, sealer: sealer, clock: clock, random: random, log: log}
	if !cfg.ManageSigning && !cfg.ManageHMAC {
		return k, nil
	}
	if err := k.bootstrap(ctx); err != nil {
		return nil, err
	}
	if err := k.Refresh(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// bootstrap creates the ring, or its first signing key, when missing.
func (k *KeyRing) bootstrap(ctx context.Context) error {
	ring, err := k.repo.Load(ctx)
	if err != nil {
		return fmt.Errorf("key ring: %w", err)
	}
	now := k.clock.Now()
	if ring.HMACKey == nil {
		hmac := k.cfg.LegacyHMACKey
		if hmac == "" {
			if hmac, err = k.random.Secret(); err != nil {
				return fmt.Errorf("key ring: hmac key: %w", err)
			}
		}
		sealed, err := k.sealer.Seal([]byte(hmac.Reveal()), hmacContext)
		if err != nil {
			return fmt.Errorf("key ring: %w", err)
		}
		var first *ports.StoredSigningKey
		if k.cfg.ManageSigning {
			fk, err := k.firstKey(now)
			if err != nil {
				return err
			}
			first = &fk
		}
		created, err := k.repo.Initialize(ctx, sealed, now, first)
		if err != nil {
			return fmt.Errorf("key ring: create: %w", err)
		}
		if created {
			k.log.Info("key ring created", "imported_signing_key", k.cfg.LegacySigningKey != nil && first != nil, "imported_hmac_key", k.cfg.LegacyHMACKey != "")
			return nil
		}
		if ring, err = k.repo.Load(ctx); err != nil {
			return fmt.Errorf("key ring: %w", err)
		}
	}
	if k.cfg.ManageSigning && len(ring.Keys) == 0 {
		// The ring was made while a key file was configured: add its first key.
		fk, err := k.firstKey(now)
		if err != nil {
			return err
		}
		if err := k.repo.AddKey(ctx, fk); err != nil && !errors.Is(err, domain.ErrConflict) {
			return fmt.Errorf("key ring: add first key: %w", err)
		}
	}
	return nil
}

// firstKey is the earlier version's key file when there is one (same kid, so
// its tokens keep verifying), else a new key; it signs at once.
func (k *KeyRing) firstKey(now time.Time) (ports.StoredSigningKey, error) {
	priv := k.cfg.LegacySigningKey
	if priv == nil {
		var err error
		if priv, err = k.newKey(); err != nil {
			return ports.StoredSigningKey{}, err
		}
	}
	return k.store(priv, now, now)
}

// newKey draws a new Ed25519 key from the CSPRNG.
func (k *KeyRing) newKey() (ed25519.PrivateKey, error) {
	s, err := k.random.Secret()
	if err != nil {
		return nil, fmt.Errorf("key ring: new key: %w", err)
	}
	seed := sha256.Sum256([]byte(s.Reveal())) // 256 random bits in, 256 out
	return ed25519.NewKeyFromSeed(seed[:]), nil
}

// store seals priv into a row.
func (k *KeyRing) store(priv ed25519.PrivateKey, created, activates time.Time) (ports.StoredSigningKey, error) {
	pub := priv.Public().(ed25519.PublicKey)
	kid := domain.Ed25519KeyID(pub)
	sealed, err := k.sealer.Seal(priv.Seed(), kid)
	if err != nil {
		return ports.StoredSigningKey{}, fmt.Errorf("key ring: %w", err)
	}
	return ports.StoredSigningKey{Kid: kid, Algorithm: algEdDSA, PrivateKey: sealed, PublicKey: pub,
		CreatedAt: created, ActivatesAt: activates}, nil
}

// Refresh reloads the ring. On failure this instance keeps the ring it had:
// an unreadable row never replaces good keys and never adds a key.
func (k *KeyRing) Refresh(ctx context.Context) error {
	if !k.cfg.ManageSigning && !k.cfg.ManageHMAC {
		return nil
	}
	ring, err := k.repo.Load(ctx)
	if err != nil {
		return fmt.Errorf("key ring: %w", err)
	}
	var hmac domain.Secret
	if k.cfg.ManageHMAC {
		if ring.HMACKey == nil {
			return errors.New("key ring: the HMAC key is missing")
		}
		plain, err := k.sealer.Open(ring.HMACKey, hmacContext)
		if err != nil {
			return fmt.Errorf("key ring: HMAC key: %w", err)
		}
		if len(plain) < 32 {
			return errors.New("key ring: the stored HMAC key is corrupted (shorter than 32 bytes)")
		}
		hmac = domain.Secret(plain)
	}
	var keys []ringKey
	if k.cfg.ManageSigning {
		for _, row := range ring.Keys {
			rk, err := k.open(row)
			if err != nil {
				return err
			}
			keys = append(keys, rk)
		}
		if len(keys) == 0 {
			return errors.New("key ring: no signing key")
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cfg.ManageHMAC && k.hmac != "" && subtle.ConstantTimeCompare([]byte(k.hmac), []byte(hmac)) != 1 {
		return errors.New("key ring: the stored HMAC key changed; keeping the one loaded at start")
	}
	k.hmac, k.keys = hmac, keys
	return nil
}

// open checks and opens one signing-key row.
func (k *KeyRing) open(row ports.StoredSigningKey) (ringKey, error) {
	corrupt := func(why string) error {
		return fmt.Errorf("key ring: signing key %q is corrupted: %s", row.Kid, why)
	}
	if row.Algorithm != algEdDSA {
		return ringKey{}, corrupt("unknown algorithm " + fmt.Sprintf("%q", row.Algorithm))
	}
	if len(row.PublicKey) != ed25519.PublicKeySize {
		return ringKey{}, corrupt("the public key has the wrong length")
	}
	seed, err := k.sealer.Open(row.PrivateKey, row.Kid)
	if err != nil {
		return ringKey{}, fmt.Errorf("key ring: signing key %q: %w", row.Kid, err)
	}
	if len(seed) != ed25519.SeedSize {
		return ringKey{}, corrupt("the private key has the wrong length")
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	if subtle.ConstantTimeCompare(pub, row.PublicKey) != 1 {
		return ringKey{}, corrupt("the public key does not match the private key")
	}
	if domain.Ed25519KeyID(pub) != row.Kid {
		return ringKey{}, corrupt("the kid is not the key's thumbprint")
	}
	return ringKey{times: domain.SigningKeyTimes{Kid: row.Kid, CreatedAt: row.CreatedAt, ActivatesAt: row.ActivatesAt}, priv: priv, pub: pub}, nil
}

// RefreshEvery is how often Run reloads the ring: half the JWKS cache
// lifetime, so a new key is known everywhere well before it signs.
func (k *KeyRing) RefreshEvery() time.Duration {
	return max(k.cfg.JWKSMaxAge/2, 500*time.Millisecond)
}

// Run reloads the ring every RefreshEvery until ctx ends; a failed reload is
// logged and the ring in hand kept.
func (k *KeyRing) Run(ctx context.Context) {
	if !k.cfg.ManageSigning && !k.cfg.ManageHMAC {
		return
	}
	t := time.NewTicker(k.RefreshEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := k.Refresh(ctx); err != nil && ctx.Err() == nil {
				k.log.Error("key ring reload failed; keeping the keys in hand", "error", err)
			}
		}
	}
}

// HMACKey returns the ring's HMAC key ("" when it is configured instead).
func (k *KeyRing) HMACKey() domain.Secret {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.hmac
}

// schedule returns the keys and their statuses now, in activation order.
func (k *KeyRing) schedule() ([]ringKey, []domain.KeyStatus) {
	k.mu.RLock()
	keys := k.keys
	k.mu.RUnlock()
	times := make([]domain.SigningKeyTimes, len(keys))
	byKid := make(map[string]ringKey, len(keys))
	for i, rk := range keys {
		times[i] = rk.times
		byKid[rk.times.Kid] = rk
	}
	sched := domain.KeySchedule(times, k.clock.Now(), k.cfg.AccessTokenTTL)
	ordered := make([]ringKey, len(sched))
	for i, st := range sched {
		ordered[i] = byKid[st.Kid]
	}
	return ordered, sched
}

// SigningKey returns the key that signs now; see ports.SigningKeys.
func (k *KeyRing) SigningKey() (string, ed25519.PrivateKey, error) {
	keys, sched := k.schedule()
	for i, st := range sched {
		if st.State == domain.KeySigning {
			return st.Kid, keys[i].priv, nil
		}
	}
	return "", nil, domain.WrapUnavailable(errors.New("key ring: no signing key"))
}

// VerificationKey returns the published key kid; see ports.SigningKeys.
func (k *KeyRing) VerificationKey(kid string) (ed25519.PublicKey, bool) {
	keys, sched := k.schedule()
	for i, st := range sched {
		if st.Kid == kid {
			return keys[i].pub, st.State.Published()
		}
	}
	return nil, false
}

// PublishedKeys returns the next, signing and retiring keys; see ports.SigningKeys.
func (k *KeyRing) PublishedKeys() []ports.PublicKey {
	keys, sched := k.schedule()
	var out []ports.PublicKey
	for i, st := range sched {
		if st.State.Published() {
			out = append(out, ports.PublicKey{Kid: st.Kid, Key: keys[i].pub})
		}
	}
	return out
}

// ListKeys reloads the ring and returns every key with its state now.
func (k *KeyRing) ListKeys(ctx context.Context) ([]domain.KeyStatus, error) {
	if !k.cfg.ManageSigning {
		return nil, nil
	}
	if err := k.Refresh(ctx); err != nil {
		return nil, err
	}
	_, sched := k.schedule()
	return sched, nil
}

// ErrKeysConfigured is Rotate's answer when the signing key is not the ring's.
var ErrKeysConfigured = &domain.Error{Kind: domain.Conflict, Code: "conflict",
	Message: "the signing key is configured (AUTH_JWT_PRIVATE_KEY_FILE or HS256), not in the key ring: replace it there"}

// Rotate adds a new key that is published at once (on every instance within
// RefreshEvery) and signs JWKSMaxAge from now; the key signing until then
// retires AccessTokenTTL after that.
func (k *KeyRing) Rotate(ctx context.Context) (domain.KeyStatus, error) {
	if !k.cfg.ManageSigning {
		return domain.KeyStatus{}, ErrKeysConfigured
	}
	priv, err := k.newKey()
	if err != nil {
		return domain.KeyStatus{}, err
	}
	now := k.clock.Now()
	row, err := k.store(priv, now, now.Add(k.cfg.JWKSMaxAge))
	if err != nil {
		return domain.KeyStatus{}, err
	}
	if err := k.repo.AddKey(ctx, row); err != nil {
		return domain.KeyStatus{}, fmt.Errorf("key ring: add key: %w", err)
	}
	if err := k.Refresh(ctx); err != nil {
		return domain.KeyStatus{}, err
	}
	_, sched := k.schedule()
	for _, st := range sched {
		if st.Kid == row.Kid {
			return st, nil
		}
	}
	return domain.KeyStatus{}, errors.New("key ring: the new key did not load")
}
