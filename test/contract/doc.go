// Package contract holds the conformance suites that every storage adapter must
// pass: one suite per port, run by each adapter's tests against a fresh store, so
// that SQLite, MySQL and any future store are interchangeable by construction.
//
// The suites use fixed times (never the wall clock), never sleep and never assert
// on durations. Times are compared with time.Equal at millisecond precision, the
// least precision an adapter may keep.
package contract
