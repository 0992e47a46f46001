package main

import (
	"fmt"
	"sync"
	"testing"

	"authd/internal/testkit"
)

// Requests that arrive together must not fail because of each other, on
// every store. The sign-ups come from fifty clients (behind a trusted proxy),
// as they would: the per-IP sign-up limit is not what this tests.

func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_LOG_LEVEL": "warn", "AUTH_TRUSTED_PROXIES": "127.0.0.1/32"})

	t.Run("fifty registrations sent at once all answer 201", func(t *testing.T) {
		const n = 50
		statuses := make([]*testkit.Reply, n)
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range n {
			done.Go(func() {
				start.Wait()
				statuses[i] = a.do("POST", "/api/v1/auth/register", map[string]any{
					"email": fmt.Sprintf("signup-%02d@example.com", i), "password": pw, "firstName": "Jane"},
					testkit.Header("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1)))
			})
		}
		start.Done()
		done.Wait()
		for i, r := range statuses {
			if r.Status != 201 {
				t.Errorf("registration %d: %d %s", i, r.Status, r.Raw)
			}
		}
	})
}
