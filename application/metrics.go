package application

import (
	"errors"
	"time"

	"authd/domain"

	"authd/ports"
)

// nopMetrics is the ports.Metrics of use cases built without one (unit tests
// that do not care), so that no call site has to check for nil.
type nopMetrics struct{}

func (nopMetrics) HTTPRequest(string, string, int, time.Duration) {}
func (nopMetrics) Login(string)                                   {}
func (nopMetrics) RateLimited(string)                             {}
func (nopMetrics) PasswordHash(time.Duration) func()              { return func() {} }
func (nopMetrics) OutboxPending(int)                              {}
func (nopMetrics) MailSent(string)                                {}
func (nopMetrics) DenylistError()                                 {}
func (nopMetrics) ProfileRead(string)                             {}

// orNop returns m, or a no-op when m is nil.
func orNop(m ports.Metrics) ports.Metrics {
	if m == nil {
		return nopMetrics{}
	}
	return m
}

// loginResult is the authd_logins_total label of a login's outcome: "success"
// or the contract code that refused it ("error" for anything unexpected).
func loginResult(err error) string {
	if err == nil {
		return "success"
	}
	if de, ok := errors.AsType[*domain.Error](err); ok && de.Code != "" && de.Kind != domain.Internal {
		return de.Code
	}
	return "error"
}
