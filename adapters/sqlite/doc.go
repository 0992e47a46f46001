// Package sqlite is the embedded default store: the storage ports (users,
// sessions, one-time tokens, outbox, transactions) on a single SQLite file through
// the pure-Go driver modernc.org/sqlite, so a local run needs no database server.
//
// Concurrency model: one writer connection serves every write and every
// transaction (which begin IMMEDIATE), and a small pool of read-only connections
// serves reads outside transactions. With WAL journaling and a busy timeout,
// concurrent requests wait for the writer instead of failing with SQLITE_BUSY, and
// readers never wait for writers. Concurrency rules (single-use tokens, outbox
// leases) are carried by conditional UPDATEs, and a refresh rotation by the
// unique key on its successor's replaces, never by read-then-write.
// Every connection keeps its prepared statements (a bounded cache per
// connection), so SQLite parses each query once, not on every call.
//
// Times are stored as INTEGER unix milliseconds in UTC and returned in UTC.
package sqlite
