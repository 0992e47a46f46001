// Package test holds authd's cross-cutting tests: the contract suites run
// against every adapter (test/contract), container helpers, end-to-end tests of
// the real binary (several instances, dependency faults, SMTP), the browser test
// of the reset page, and the architecture checks.
package test
