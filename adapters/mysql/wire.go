package mysql

import (
	"github.com/google/wire"

	"authd/ports"
)

// ProviderSet builds the MySQL store and binds its repositories and transactor
// to the ports, so the injector needs one line to choose this store. Config
// comes from the injector; ports.Pinger is left for it to name.
var ProviderSet = wire.NewSet(
	Open,
	NewUserRepository,
	NewSessionRepository,
	NewOneTimeTokenRepository,
	NewOutbox,
	NewAttemptLog,
	wire.Bind(new(ports.UserRepository), new(*UserRepository)),
	wire.Bind(new(ports.SessionRepository), new(*SessionRepository)),
	wire.Bind(new(ports.OneTimeTokenRepository), new(*OneTimeTokenRepository)),
	wire.Bind(new(ports.Outbox), new(*Outbox)),
	wire.Bind(new(ports.AttemptLog), new(*AttemptLog)),
	wire.Bind(new(ports.Transactor), new(*DB)),
)
