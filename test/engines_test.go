package test

import (
	"database/sql"
	"maps"
	"testing"

	"github.com/testcontainers/testcontainers-go"
)

// sqlEngine is a database server authd can scale out on, as the end-to-end
// tests need it: a fresh database on the package's shared server, or a server
// of the test's own on a chosen port (for outages). Tests that must hold on
// every server engine loop over sqlEngines.
type sqlEngine struct {
	name     string // AUTH_DB_DRIVER, and the subtest's name
	freshDSN func(t *testing.T) string
	start    func(t *testing.T, hostPort string) (testcontainers.Container, string)
	raw      func(t *testing.T, dsn string) *sql.DB // a plain connection, for looking at rows
}

// sqlEngines are the server engines, each run the same way.
var sqlEngines = []sqlEngine{
	{name: "mysql", freshDSN: freshMySQLDSN, start: startMySQL, raw: rawMySQL},
	{name: "postgres", freshDSN: freshPostgresDSN, start: startPostgres, raw: rawPostgres},
}

// env is productionEnv on this engine.
func (e sqlEngine) env(t *testing.T, dsn, memcachedAddr string, extra map[string]string) map[string]string {
	all := map[string]string{"AUTH_DB_DRIVER": e.name}
	maps.Copy(all, extra)
	return productionEnv(t, dsn, memcachedAddr, all)
}

// eachEngine runs test once per server engine, as a subtest named after it.
func eachEngine(t *testing.T, test func(t *testing.T, e sqlEngine)) {
	for _, e := range sqlEngines {
		t.Run(e.name, func(t *testing.T) { test(t, e) })
	}
}
