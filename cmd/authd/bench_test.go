package main

import (
	"net/http"
	"testing"
)

// Benchmarks of whole requests through the wired app on SQLite, over loopback
// HTTP. Compare them with each other in one run (the machine is shared):
//
//	go test -run '^$' -bench . -benchtime 2s ./cmd/authd
func BenchmarkRequests(b *testing.B) {
	a := startApp(b, b.TempDir(), map[string]string{"AUTH_LOG_LEVEL": "error"})
	s := a.registerVerified("bench@example.com")
	token := s.str("accessToken")

	b.Run("GET /users/me (JWT + denylist + one read)", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest("GET", a.base+"/api/v1/users/me", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := plainClient.Do(req)
				if err != nil || res.StatusCode != 200 {
					b.Fatalf("%v %v", res, err)
				}
				res.Body.Close()
			}
		})
	})
	b.Run("POST /auth/refresh (rotation: one write transaction)", func(b *testing.B) {
		rt := s.str("refreshToken")
		for b.Loop() {
			r := a.do("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": rt})
			if r.status != 200 {
				b.Fatalf("%d %s", r.status, r.raw)
			}
			rt = r.str("refreshToken")
		}
	})
}
