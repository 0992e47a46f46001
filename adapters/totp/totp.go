package totp

import (
	"crypto/subtle"
	"time"

	"github.com/google/wire"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"authd/domain"
	"authd/ports"
)

// Codes implements ports.TOTPCodes.
type Codes struct{}

var _ ports.TOTPCodes = Codes{}

// New returns the TOTP code checker, for wire.
func New() Codes { return Codes{} }

// ProviderSet provides the code checker as ports.TOTPCodes.
var ProviderSet = wire.NewSet(New, wire.Bind(new(ports.TOTPCodes), new(Codes)))

var opts = totp.ValidateOpts{
	Period:    uint(domain.TOTPPeriod / time.Second),
	Digits:    otp.DigitsSix,
	Algorithm: otp.AlgorithmSHA1,
}

// Match checks code against the previous, current and next step at now and
// returns the latest step that matches. Every step is computed and compared
// in constant time, so the timing says nothing about which one matched.
func (Codes) Match(secret, code domain.Secret, now time.Time) (int64, bool) {
	c := code.Reveal()
	if len(c) != domain.TOTPDigits {
		return 0, false
	}
	period := int64(domain.TOTPPeriod / time.Second)
	current := now.Unix() / period
	var step int64
	found := false
	for s := current - 1; s <= current+1; s++ {
		want, err := totp.GenerateCodeCustom(secret.Reveal(), time.Unix(s*period, 0), opts)
		if err != nil {
			return 0, false // a secret that is no base32: nothing matches
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(c)) == 1 {
			step, found = s, true
		}
	}
	return step, found
}
