package main

import (
	"fmt"
	"sync"
	"testing"
)

// Requests that arrive together must not fail because of each other, on
// either store (shared/docs/api.md, "Storage (part 2)").

func TestConcurrentRequests(t *testing.T) {
	a := startApp(t, "", map[string]string{"AUTH_LOG_LEVEL": "warn"})

	t.Run("fifty registrations sent at once all answer 201", func(t *testing.T) {
		const n = 50
		statuses := make([]*resp, n)
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range n {
			done.Go(func() {
				start.Wait()
				statuses[i] = a.do("POST", "/api/v1/auth/register", map[string]any{
					"email": fmt.Sprintf("signup-%02d@example.com", i), "password": pw, "firstName": "Jane"})
			})
		}
		start.Done()
		done.Wait()
		for i, r := range statuses {
			if r.status != 201 {
				t.Errorf("registration %d: %d %s", i, r.status, r.raw)
			}
		}
	})
}
