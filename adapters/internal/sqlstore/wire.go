package sqlstore

import (
	"github.com/google/wire"

	"authd/ports"
)

// Store is everything an open database provides, as the ports the core uses.
// An engine's Open returns it; wire takes the ports from its fields, so the
// composition root never names this package.
type Store struct {
	*DB
	Tx       ports.Transactor
	Pinger   ports.Pinger
	Users    ports.UserRepository // without account versions (wire uses VersionedUsers)
	Sessions ports.SessionRepository
	Tokens   ports.OneTimeTokenRepository
	Outbox   ports.Outbox
	Attempts ports.AttemptLog
	Events   ports.SecurityEventLog
	// TOTP and RecoveryCodes are the multi-factor sign-in stores.
	TOTP          ports.TOTPRepository
	RecoveryCodes ports.RecoveryCodeRepository
	KeyRing       ports.KeyRing
}

// NewStore builds every repository on db.
func NewStore(db *DB) *Store {
	return &Store{
		DB:            db,
		Tx:            db,
		Pinger:        db,
		Users:         NewUserRepository(db),
		Sessions:      NewSessionRepository(db),
		Tokens:        NewOneTimeTokenRepository(db),
		Outbox:        NewOutbox(db),
		Attempts:      NewAttemptLog(db),
		Events:        NewSecurityEventLog(db),
		TOTP:          NewTOTPRepository(db),
		RecoveryCodes: NewRecoveryCodeRepository(db),
		KeyRing:       NewKeyRing(db),
	}
}

// ProviderSet hands the ports of the *Store that an engine's Open returns to
// wire, but for the account store: each engine provides VersionedUsers's
// (wire's code may not name this package).
var ProviderSet = wire.NewSet(wire.FieldsOf(new(*Store), "Tx", "Pinger", "Sessions", "Tokens", "Outbox", "Attempts", "Events",
	"TOTP", "RecoveryCodes", "KeyRing"))
