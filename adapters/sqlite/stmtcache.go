package sqlite

import (
	"database/sql/driver"

	"modernc.org/sqlite"

	"authd/adapters/internal/stmtcache"
)

// stmtCacheSize bounds the prepared statements kept per connection. The store
// has a few dozen distinct queries; the bound only matters for the IN lists
// whose length varies.
const stmtCacheSize = 128

// newCachingConnector returns a connector for dsn whose connections keep their
// prepared statements (stmtcache), so that SQLite parses and plans each query
// once per connection instead of on every call (parsing was an eighth of a GET
// /users/me).
func newCachingConnector(dsn string, onCommit func()) (driver.Connector, error) {
	var c driver.Connector
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	if onCommit != nil {
		c = commitHookConnector{Connector: c, onCommit: onCommit}
	}
	return stmtcache.New(c, stmtCacheSize, "sqlite"), nil
}
