package main

import (
	"runtime"
	"testing"
	"time"

	"authd/internal/testkit"
)

// Benchmarks of whole requests through the wired app on SQLite, over loopback
// HTTP. Compare them with each other in one run (the machine is shared):
//
//	go test -run '^$' -bench . -benchtime 2s ./cmd/authd
func BenchmarkRequests(b *testing.B) {
	a := startApp(b, b.TempDir(), map[string]string{"AUTH_LOG_LEVEL": "error"})
	s := a.registerVerified("bench@example.com")
	token := s.Str("accessToken")

	unchecked := &testkit.Client{Base: a.base} // no contract check in the measured loop
	b.Run("GET /users/me (JWT + denylist + one read)", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r, err := unchecked.Try(unchecked.Request("GET", "/api/v1/users/me", nil, testkit.Bearer(token)))
				if err != nil || r.Status != 200 {
					b.Fatalf("%v %v", r, err)
				}
			}
		})
	})
	b.Run("POST /auth/refresh (rotation: one write transaction)", func(b *testing.B) {
		rt := s.Str("refreshToken")
		for b.Loop() {
			r, err := unchecked.Try(unchecked.Request("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": rt}))
			if err != nil || r.Status != 200 {
				b.Fatalf("%v %v", r, err)
			}
			rt = r.Str("refreshToken")
		}
	})
	b.Run("POST /auth/refresh, 32 sessions at once (group commit)", func(b *testing.B) {
		const sessions = 32
		tokens := make(chan string, sessions)
		for range sessions {
			tokens <- a.login("bench@example.com", pw).Want(b, 200).Str("refreshToken")
		}
		b.SetParallelism((sessions + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			rt := <-tokens // one session per goroutine
			for pb.Next() {
				r, err := unchecked.Try(unchecked.Request("POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": rt}))
				if err != nil || r.Status != 200 {
					b.Fatalf("%v %v", r, err)
				}
				rt = r.Str("refreshToken")
			}
			tokens <- rt
		})
	})
}

// BenchmarkLoginLimits measures what the abuse limits add to a login with the
// production password hash: two instances, every limit on in one and off in
// the other, logged into in turn, so that both see the same machine at the
// same moments (a shared machine drifts between runs). It reports the mean
// login on each and their ratio.
func BenchmarkLoginLimits(b *testing.B) {
	start := func(extra map[string]string) *testApp {
		env := map[string]string{"AUTH_LOG_LEVEL": "error"}
		backendEnv(b, env)
		for k, v := range extra {
			env[k] = v
		}
		cfg, err := LoadConfig(testEnv(b.TempDir(), env))
		if err != nil {
			b.Fatal(err)
		}
		cfg.CounterPrefix = counterPrefix()
		a := startWithConfig(b, cfg) // production argon2id parameters
		a.registerVerified("bench@example.com")
		return a
	}
	on := start(nil)
	off := start(map[string]string{"AUTH_LOGIN_MAX_FAILURES": "0", "AUTH_IP_MAX_FAILURES": "0", "AUTH_IP_MAIL_RATE": "0"})
	var tookOn, tookOff time.Duration
	timed := func(a *testApp) time.Duration {
		t0 := time.Now()
		a.login("bench@example.com", pw).Want(b, 200)
		return time.Since(t0)
	}
	first := true
	for b.Loop() {
		if first { // each goes first every other time, so order costs neither
			tookOn += timed(on)
			tookOff += timed(off)
		} else {
			tookOff += timed(off)
			tookOn += timed(on)
		}
		first = !first
	}
	b.ReportMetric(float64(tookOn.Nanoseconds())/float64(b.N), "ns/login-limits-on")
	b.ReportMetric(float64(tookOff.Nanoseconds())/float64(b.N), "ns/login-limits-off")
	b.ReportMetric(float64(tookOn)/float64(tookOff), "on/off")
}
