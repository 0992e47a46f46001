// Package memory holds in-process adapters for the embedded default: a token
// denylist that lives as long as the process and is re-seeded from the database
// at every start. It is right for a single instance; several instances need a
// shared denylist (memcached).
package memory
