// Package fakes holds in-memory implementations of the outbound ports for the
// use-case tests: a store with every repository and real transactions, a
// denylist, abuse counters, a clock, randomness, a hasher, a token issuer and a
// mailer. They are held to the same contract suites as the real adapters
// (test/fakes_test.go), so a use-case test on them means what it would mean on
// SQLite or MySQL. Nothing here is wired into the service.
package fakes
