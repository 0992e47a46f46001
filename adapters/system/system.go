package system

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/google/wire"

	"authd/domain"
	"authd/ports"
)

// ProviderSet binds the system clock and randomness to their ports.
var ProviderSet = wire.NewSet(
	wire.Value(Clock{}), wire.Value(Random{}),
	wire.Bind(new(ports.Clock), new(Clock)),
	wire.Bind(new(ports.Random), new(Random)),
)

// Clock is the wall clock in UTC.
type Clock struct{}

var _ ports.Clock = Clock{}

// Now returns the current time in UTC.
func (Clock) Now() time.Time { return time.Now().UTC() }

// Random draws from crypto/rand.
type Random struct{}

var _ ports.Random = Random{}

// NewID returns a UUIDv7: random, yet time-ordered so database keys stay local.
func (Random) NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Secret returns 256 random bits, base64url without padding.
func (Random) Secret() (domain.Secret, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("system: random: %w", err)
	}
	return domain.Secret(base64.RawURLEncoding.EncodeToString(b)), nil
}

// Digits returns n decimal digits, each uniform: bytes of 250 or more are
// redrawn, so no digit is more likely than another.
func (Random) Digits(n int) (domain.Secret, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+8)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("system: random: %w", err)
		}
		for _, b := range buf {
			if b < 250 && len(out) < n {
				out = append(out, '0'+b%10)
			}
		}
	}
	return domain.Secret(out), nil
}
