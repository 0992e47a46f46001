package system

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/google/wire"

	"authd/domain"
	"authd/ports"
)

// ProviderSet lets wire give the core real randomness wherever it asks for the
// Random port; the composition root picks the clock (tests hand in their own).
var ProviderSet = wire.NewSet(NewRandom, wire.Bind(new(ports.Random), new(Random)))

// Clock is the wall clock in UTC, so stored and compared times never depend on
// the host's time zone.
type Clock struct{}

var _ ports.Clock = Clock{}

// NewClock returns the system clock; a constructor so wire can provide it.
func NewClock() Clock { return Clock{} }

// Now returns the current time in UTC at millisecond precision, the precision
// every store keeps, so a time reads the same before and after it is stored.
func (Clock) Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// Random draws identifiers and secrets from crypto/rand, so no secret is ever
// predictable. The zero value is ready to use.
type Random struct {
	// src, when set by tests, replaces crypto/rand as the source of bytes.
	src io.Reader
}

var _ ports.Random = Random{}

// NewRandom returns the CSPRNG-backed Random; a constructor so wire can provide it.
func NewRandom() Random { return Random{} }

// secretBytes is the size of a Secret: 256 bits, beyond brute force even when
// only its SHA-256 is stored.
const secretBytes = 32

// maxDigits bounds Digits so a mistaken caller cannot ask for unbounded memory.
const maxDigits = 1024

// NewID returns a UUIDv7: random, yet time-ordered so database keys stay local.
func (Random) NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Secret returns 256 random bits, base64url without padding, for bearer tokens
// that are stored only as hashes.
func (r Random) Secret() (domain.Secret, error) {
	b := make([]byte, secretBytes)
	if err := r.read(b); err != nil {
		return "", err
	}
	return domain.Secret(base64.RawURLEncoding.EncodeToString(b)), nil
}

// Digits returns n decimal digits for one-time codes, each uniform: bytes of 250
// or more are drawn again, because 256 is not a multiple of 10 and keeping them
// would make 0-5 likelier than 6-9.
func (r Random) Digits(n int) (domain.Secret, error) {
	if n < 0 || n > maxDigits {
		return "", fmt.Errorf("system: %d digits requested, want 0..%d", n, maxDigits)
	}
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/16+1) // a few spare bytes: about 2.3% are rejected
	for len(out) < n {
		if err := r.read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if b >= 250 {
				continue
			}
			out = append(out, '0'+b%10)
			if len(out) == n {
				break
			}
		}
	}
	return domain.Secret(out), nil
}

func (r Random) read(b []byte) error {
	src := r.src
	if src == nil {
		src = rand.Reader
	}
	if _, err := io.ReadFull(src, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("system: random: %w", err)
	}
	return nil
}
