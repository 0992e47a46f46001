package postgres

import (
	"github.com/google/wire"

	"authd/adapters/internal/sqlstore"
)

// Store is the open store with every port it provides.
type Store = sqlstore.Store

// ProviderSet opens the store and hands wire the shared repositories on it, so
// the injector needs one line to choose this engine. Config comes from the injector.
var ProviderSet = wire.NewSet(Open, sqlstore.ProviderSet)
