package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/google/wire"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"authd/domain"
	"authd/ports"
)

// ProviderSet binds the hasher to the PasswordHasher port.
var ProviderSet = wire.NewSet(NewHasher, wire.Bind(new(ports.PasswordHasher), new(*Hasher)))

// Params are argon2id's cost parameters.
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLen     uint32
	KeyLen      uint32
}

// DefaultParams are OWASP's recommended argon2id parameters (m=19 MiB, t=2, p=1).
var DefaultParams = Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// Limits on parameters read from a stored hash, so a corrupt or hostile hash
// cannot make one verification cost gigabytes or minutes.
const (
	maxMemory     = 1 << 20 // KiB: 1 GiB
	maxIterations = 100
	maxKeyLen     = 1024
)

// Config tunes the hasher; zero values take the defaults.
type Config struct {
	Params        Params
	MaxConcurrent int // hashes at once; 0: GOMAXPROCS
}

// Hasher implements ports.PasswordHasher.
type Hasher struct {
	params Params
	slots  chan struct{}
	// observe, when set by tests, sees +1 as a hash starts and -1 as it ends.
	observe func(delta int32)
}

var _ ports.PasswordHasher = (*Hasher)(nil)

// NewHasher builds a hasher.
func NewHasher(cfg Config) *Hasher {
	p := cfg.Params
	if p == (Params{}) {
		p = DefaultParams
	}
	if p.SaltLen == 0 {
		p.SaltLen = DefaultParams.SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = DefaultParams.KeyLen
	}
	if p.Parallelism == 0 {
		p.Parallelism = 1
	}
	n := cfg.MaxConcurrent
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return &Hasher{params: p, slots: make(chan struct{}, n)}
}

// Params returns the parameters new hashes get.
func (h *Hasher) Params() Params { return h.params }

// acquire waits for a hashing slot or for ctx to end.
func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		if h.observe != nil {
			h.observe(1)
		}
		return nil
	case <-ctx.Done():
		return domain.WrapUnavailable(fmt.Errorf("password: waiting for a hashing slot: %w", ctx.Err()))
	}
}

func (h *Hasher) release() {
	if h.observe != nil {
		h.observe(-1)
	}
	<-h.slots
}

// Hash returns a PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$hash.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, h.params.Iterations, h.params.Memory, h.params.Parallelism, h.params.KeyLen)
	h.release()
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.params.Memory, h.params.Iterations,
		h.params.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify checks password against an argon2id or bcrypt hash.
func (h *Hasher) Verify(ctx context.Context, hash, password string) (match, rehash bool, err error) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		return h.verifyArgon2(ctx, hash, password)
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		if err := h.acquire(ctx); err != nil {
			return false, false, err
		}
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
		h.release()
		switch {
		case err == nil:
			return true, true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
			return false, false, nil
		default:
			return false, false, fmt.Errorf("password: malformed bcrypt hash: %w", err)
		}
	}
	return false, false, errors.New("password: unknown hash format")
}

func (h *Hasher) verifyArgon2(ctx context.Context, hash, password string) (bool, bool, error) {
	p, salt, key, err := parseArgon2(hash)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, uint32(len(key)))
	h.release()
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return true, p != h.params, nil
}

// parseArgon2 reads a PHC argon2id string strictly.
func parseArgon2(hash string) (Params, []byte, []byte, error) {
	bad := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, errors.New("password: malformed argon2id hash: " + why)
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("layout")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return bad("version")
	}
	var p Params
	var par uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Iterations, &par); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Iterations, par) != parts[3] {
		return bad("parameters")
	}
	if p.Memory == 0 || p.Memory > maxMemory || p.Iterations == 0 || p.Iterations > maxIterations || par == 0 || par > 255 {
		return bad("parameters out of range")
	}
	p.Parallelism = uint8(par)
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return bad("salt")
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > maxKeyLen {
		return bad("key")
	}
	return p, salt, key, nil
}
