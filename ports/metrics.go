package ports

import "time"

// Metrics is what the core and the adapters report for operations (the
// Prometheus adapter implements it). Every label is a small closed set: route
// patterns, result words, rule names; never a path, an email or a secret.
// Implementations are safe for concurrent use and never fail.
type Metrics interface {
	// HTTPRequest counts one answered request under its route pattern
	// ("unmatched" when no route matched).
	HTTPRequest(route, method string, status int, took time.Duration)
	// Login counts one login attempt by outcome: "success", "mfa_required",
	// or the error code that refused it (e.g. "invalid_credentials").
	Login(result string)
	// RateLimited counts one request refused by the named abuse rule.
	RateLimited(rule string)
	// PasswordHash reports a hash that waited took for a slot and now runs; the
	// returned func marks it done.
	PasswordHash(waited time.Duration) (done func())
	// OutboxPending reports how many messages await delivery.
	OutboxPending(n int)
	// MailSent counts one delivery attempt: "sent", "retry" or "dead".
	MailSent(result string)
	// DenylistError counts one failed call to the token denylist.
	DenylistError()
	// ProfileRead counts one read of the caller's own account by where it was
	// answered from: "copy" (a copy kept under the account's current version)
	// or "store".
	ProfileRead(source string)
}
