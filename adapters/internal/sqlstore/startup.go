package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// WaitForServer pings until the server answers, backing off between tries,
// for at most within (a database container often starts after the service).
// An answer that refused us (refused: wrong password, unknown database) ends
// the wait at once: waiting does not fix it.
func WaitForServer(ctx context.Context, pool *sql.DB, within time.Duration, refused func(error) bool) error {
	deadline := time.Now().Add(within)
	backoff := 50 * time.Millisecond
	var last error
	for {
		pctx, cancel := context.WithDeadline(ctx, deadline)
		err := pool.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if refused(err) {
			return err
		}
		// A ping cut short by the deadline says less than the failure before it.
		if last == nil || !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			last = err
		}
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			return last
		}
		timer := time.NewTimer(min(backoff, left))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// redactedError keeps an error's chain for errors.Is and errors.As while its
// text never shows the password.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Redacted returns err with every occurrence of each form of the password (as
// written, escaped as a DSN may hold it) masked in its text; errors.Is and
// errors.As still see the chain.
func Redacted(err error, forms ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, f := range forms {
		if f != "" {
			msg = strings.ReplaceAll(msg, f, "*****")
		}
	}
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// Or returns v when it is set (positive), else def: a Config's zero values
// mean the defaults.
func Or[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
