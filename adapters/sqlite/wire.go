package sqlite

import (
	"log/slog"

	"github.com/google/wire"

	"authd/adapters/internal/sqlstore"
	"authd/ports"
)

// Store is the open store with every port it provides.
type Store = sqlstore.Store

// ProviderSet opens the store and hands wire the shared repositories on it, so
// the injector needs one line to choose this engine. Config comes from the injector.
var ProviderSet = wire.NewSet(Open, Users, sqlstore.ProviderSet)

// Users is the store's account store, which bumps the account's version in
// versions after every committed change (sqlstore.VersionedUsers).
func Users(s *Store, versions ports.AccountVersions, log *slog.Logger) ports.UserRepository {
	return sqlstore.VersionedUsers(s, versions, log)
}
