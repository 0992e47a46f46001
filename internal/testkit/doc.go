// Package testkit is the test support shared by authd's tests: the one HTTP
// client the tests drive the service with (Client, Reply), the one SMTP server
// they deliver mail to (SMTPServer), polling with a deadline instead of fixed
// waits (Eventually), and small pieces every harness needs (Buffer, FreeAddr,
// SelfSigned, the console mailer's output).
//
// It is imported from _test.go files only: the architecture test
// (test/architecture_test.go) fails when a non-test build of any package
// depends on it, and when it imports a package of authd's own.
//
// How a server is started stays with its tests: cmd/authd wires the app on a
// loopback listener, test/ runs the built binary, adapters/httpapi drives the
// transport with stub ports through Fiber's app.Test (a Client with a
// Transport). Each gives a Client the base URL (or the transport) and drives
// it the same way.
package testkit
