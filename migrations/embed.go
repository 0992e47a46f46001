// Package migrations holds the versioned SQL schema of every storage adapter,
// embedded in the binary so that a store migrates itself on start with no files
// to ship. It is a leaf package: adapters import it, it imports nothing of authd.
package migrations

import "embed"

// SQLite is the goose migration set of the embedded SQLite store (files under
// sqlite/, named <timestamp>_<name>.sql so parallel work never collides).
//
//go:embed sqlite/*.sql
var SQLite embed.FS

// MySQL is the goose migration set of the MySQL/MariaDB store (files under
// mysql/, one per table like sqlite/, so a failed DDL statement, which MySQL
// cannot roll back, never leaves half a migration behind).
//
//go:embed mysql/*.sql
var MySQL embed.FS

// Postgres is the goose migration set of the PostgreSQL store (files under
// postgres/, one per table with the same versions as the other dialects).
//
//go:embed postgres/*.sql
var Postgres embed.FS
