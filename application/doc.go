// Package application holds authd's use cases, one file each. It depends on domain
// and ports only: every technical concern (storage, crypto, mail, time) arrives
// through a port, so each use case can be tested with hand-written fakes.
package application
