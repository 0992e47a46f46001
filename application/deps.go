package application

import (
	"log/slog"

	"authd/ports"
)

// Stores are the storage ports the use cases share, handed over as one value so
// that a constructor's parameters name only what is particular to it.
type Stores struct {
	Tx       ports.Transactor
	Users    ports.UserRepository
	Sessions ports.SessionRepository
	Tokens   ports.OneTimeTokenRepository
	Outbox   ports.Outbox
	Attempts ports.AttemptLog
	Events   ports.SecurityEventLog
	// TOTP and RecoveryCodes hold the second factors of multi-factor sign-in.
	TOTP          ports.TOTPRepository
	RecoveryCodes ports.RecoveryCodeRepository
}

// Env is what every use case runs with: one clock (every time a use case
// hands out, a token's exp and its expiresIn alike, comes from it), the
// randomness, the policy settings and the log.
type Env struct {
	Clock    ports.Clock
	Random   ports.Random
	Settings Settings
	Log      *slog.Logger
	Metrics  ports.Metrics // operational counters; nil reports nothing
}
