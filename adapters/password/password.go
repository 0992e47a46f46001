package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/wire"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"

	"authd/adapters/password/internal/argon2id"
	"authd/domain"
	"authd/ports"
)

// ProviderSet lets wire build the hasher wherever the core asks for a PasswordHasher.
var ProviderSet = wire.NewSet(NewHasher, wire.Bind(new(ports.PasswordHasher), new(*Hasher)))

// Params are argon2id's cost parameters, kept together so a stored hash can be
// compared with the configured cost to decide on a rehash.
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLen     uint32 // bytes
	KeyLen      uint32 // bytes
}

// DefaultParams are OWASP's recommended argon2id parameters (m=19 MiB, t=2, p=1),
// the production cost unless configuration says otherwise.
var DefaultParams = Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// Limits on parameters read from a stored hash, so a corrupt or hostile hash
// cannot make one verification cost gigabytes of memory or minutes of CPU.
const (
	maxMemory     = 1 << 20 // KiB: 1 GiB
	maxIterations = 100
	minSaltLen    = 8
	minKeyLen     = 16
	maxKeyLen     = 1024
)

// maxBcryptCost bounds the cost read from a stored bcrypt hash: each step doubles
// the work, and bcrypt itself allows 31 (days per check).
const maxBcryptCost = 16

// Config tunes the hasher so tests can use cheap parameters and small machines a
// small pool; zero values take the defaults.
type Config struct {
	Params        Params
	MaxConcurrent int // hashes running at once; 0: runtime.GOMAXPROCS(0), twice that with a Worker
	// Metrics sees each hash's wait for a slot and its run; nil reports nothing.
	Metrics ports.Metrics
	// Worker, when set, runs argon2id in its low-priority child process
	// instead of this one (see Worker); nil hashes here.
	Worker *Worker
}

// Hasher is the PasswordHasher: argon2id for new hashes, argon2id and bcrypt for
// verification, all behind one bounded pool.
type Hasher struct {
	params Params
	slots  chan struct{}
	worker *Worker
	// metrics, when set, sees each hash's wait for a slot and its run.
	metrics ports.Metrics
	// observe, when set by tests before use, sees +1 when a hash has taken a slot
	// and -1 just before it gives the slot back.
	observe func(delta int32)
}

var _ ports.PasswordHasher = (*Hasher)(nil)

// NewHasher builds a hasher whose pool holds cfg.MaxConcurrent slots, so that at
// most that many 19 MiB hashes are in memory at once.
func NewHasher(cfg Config) *Hasher {
	p := cfg.Params
	if p == (Params{}) {
		p = DefaultParams
	}
	if p.Memory == 0 {
		p.Memory = DefaultParams.Memory
	}
	if p.Iterations == 0 {
		p.Iterations = DefaultParams.Iterations
	}
	if p.Parallelism == 0 {
		p.Parallelism = DefaultParams.Parallelism
	}
	if p.SaltLen == 0 {
		p.SaltLen = DefaultParams.SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = DefaultParams.KeyLen
	}
	n := cfg.MaxConcurrent
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
		if cfg.Worker != nil {
			// The worker runs one hash per core and queues one more each (see
			// ServeWorker), so its cores never wait for the next request.
			n *= 2
		}
	}
	return &Hasher{params: p, slots: make(chan struct{}, n), worker: cfg.Worker, metrics: cfg.Metrics}
}

// Params returns the parameters new hashes get, so callers and tests can check
// which cost is in force.
func (h *Hasher) Params() Params { return h.params }

// Hash returns a PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$hash, of
// the NFKC form of password, so every spelling of the same password verifies.
func (h *Hasher) Hash(ctx context.Context, secret domain.Secret) (string, error) {
	password := Text{}.Normalize(secret.Reveal())
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	done, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	key, err := h.idKey(ctx, []byte(password), salt, h.params)
	h.release(done)
	if err != nil {
		return "", err
	}
	return encode(h.params, salt, key), nil
}

// Verify checks password against an argon2id or bcrypt hash; rehash is true for
// bcrypt, for argon2id hashes made with other parameters, and for hashes of a
// password that was not normalised (made before passwords were), so the login
// replaces them with a hash of the NFKC form.
func (h *Hasher) Verify(ctx context.Context, hash string, secret domain.Secret) (match, rehash bool, err error) {
	password := secret.Reveal()
	var verify func(ctx context.Context, hash, password string) (bool, bool, error)
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		verify = h.verifyArgon2
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		verify = h.verifyBcrypt
	default:
		return false, false, errors.New("password: unknown hash format")
	}
	for i, form := range forms(password) {
		match, rehash, err = verify(ctx, hash, form)
		if err != nil || match {
			return match, match && (rehash || i > 0), err
		}
	}
	return false, false, nil
}

// forms lists the spellings password may have been hashed in, each once: NFKC
// first (every hash made since passwords are normalised), then the forms an
// older hash may hold because the password was hashed as sent: as sent now, NFC
// and NFD (an account made with NFD input logs in with NFC and the other way
// round). An ASCII password has one form, so it costs one hash as before; the
// count depends on the password alone, never on the account, so timing stays
// equal between known and unknown emails.
func forms(password string) []string {
	out := []string{Text{}.Normalize(password)}
	for _, f := range [...]string{password, norm.NFC.String(password), norm.NFD.String(password)} {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func (h *Hasher) verifyArgon2(ctx context.Context, hash, password string) (bool, bool, error) {
	p, salt, key, err := parseArgon2(hash)
	if err != nil {
		return false, false, err
	}
	done, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	got, err := h.idKey(ctx, []byte(password), salt, p)
	h.release(done)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, p != h.params, nil
}

func (h *Hasher) verifyBcrypt(ctx context.Context, hash, password string) (bool, bool, error) {
	// Reject a broken or absurdly expensive hash before queueing for a slot.
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		return false, false, fmt.Errorf("password: malformed bcrypt hash: %w", err)
	}
	if cost > maxBcryptCost {
		return false, false, fmt.Errorf("password: bcrypt cost %d above the limit %d", cost, maxBcryptCost)
	}
	done, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	// bcrypt reads only the first 72 bytes of the password, as every bcrypt
	// implementation did when the hash was made, so legacy users keep logging in.
	err = bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	h.release(done)
	switch {
	case err == nil:
		return true, true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
		return false, false, nil
	default:
		return false, false, fmt.Errorf("password: malformed bcrypt hash: %w", err)
	}
}

// IDKey runs argon2id at p in this process (internal/argon2id: x/crypto's,
// with each hash's memory reused by the next).
func IDKey(password, salt []byte, p Params) []byte {
	return argon2id.IDKey(password, salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
}

// idKey runs argon2id, in the worker when there is one; the caller holds a slot.
func (h *Hasher) idKey(ctx context.Context, password, salt []byte, p Params) ([]byte, error) {
	if h.worker != nil {
		return h.worker.IDKey(ctx, password, salt, p)
	}
	return IDKey(password, salt, p), nil
}

// acquire takes a hashing slot, or gives up as unavailable once ctx is done, so
// a queue of hashes never outlives the requests waiting for them. The returned
// func, handed to release, ends the hash's report to the metrics.
func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, domain.WrapUnavailable(fmt.Errorf("password: %w", err))
	}
	start := time.Now()
	select {
	case h.slots <- struct{}{}:
		done := func() {}
		if h.metrics != nil {
			done = h.metrics.PasswordHash(time.Since(start))
		}
		if h.observe != nil {
			h.observe(1)
		}
		return done, nil
	case <-ctx.Done():
		return nil, domain.WrapUnavailable(fmt.Errorf("password: %w", ctx.Err()))
	}
}

func (h *Hasher) release(done func()) {
	if h.observe != nil {
		h.observe(-1)
	}
	done()
	<-h.slots
}

func encode(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2id.Version, p.Memory, p.Iterations,
		p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parseArgon2 reads a PHC argon2id string strictly: the exact layout, version 19,
// parameters in the order m,t,p as plain decimals, bounded, and unpadded base64.
// SaltLen and KeyLen of the result are those of the stored salt and key.
func parseArgon2(hash string) (Params, []byte, []byte, error) {
	bad := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, errors.New("password: malformed argon2id hash: " + why)
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("layout")
	}
	if parts[2] != "v="+strconv.Itoa(argon2id.Version) {
		return bad("version")
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return bad("parameters")
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(kv[i], name)
		if !ok || digits == "" || (len(digits) > 1 && digits[0] == '0') {
			return bad("parameters")
		}
		v, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return bad("parameters")
		}
		vals[i] = v
	}
	m, t, par := vals[0], vals[1], vals[2]
	if m == 0 || m > maxMemory || t == 0 || t > maxIterations || par == 0 || par > 255 || m < 8*par {
		return bad("parameters out of range")
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen {
		return bad("salt")
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return bad("key")
	}
	p := Params{Memory: uint32(m), Iterations: uint32(t), Parallelism: uint8(par),
		SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	return p, salt, key, nil
}
