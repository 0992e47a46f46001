package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"authd/internal/testkit"
)

// scrape reads the metrics listener, waiting for it to come up.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	metrics := &testkit.Client{Base: "http://" + addr}
	var r *testkit.Reply
	var err error
	if !testkit.Poll(10*time.Second, func() bool { r, err = metrics.Try(metrics.Request("GET", "/metrics", nil)); return err == nil }) {
		t.Fatalf("no metrics listener on %s: %v", addr, err)
	}
	if r.Status != 200 {
		t.Fatalf("scrape: %d", r.Status)
	}
	return r.Raw
}

// metric is the value of the series whose name and labels line starts with prefix.
func metric(t *testing.T, text, prefix string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix+" ") {
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, prefix)), 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	return 0
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	addr := testkit.FreeAddr(t)
	a := startApp(t, "", map[string]string{"AUTH_METRICS_ADDR": addr, "AUTH_LOGIN_MAX_FAILURES": "1"})
	before := scrape(t, addr)

	a.do("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": pw}).Want(t, 201)
	link := a.verifyLink("jane@example.com")
	a.do("GET", "/api/v1/auth/email/verify/"+link, nil).Want(t, 200)
	token := a.login("jane@example.com", pw).Want(t, 200).Str("accessToken")
	for range 2 {
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(token)).Want(t, 200)
	}
	a.login("jane@example.com", "wrong password").Want(t, 401)
	a.login("jane@example.com", pw).Want(t, 429, "rate_limited")

	var after string
	testkit.Poll(10*time.Second, func() bool { // the mail goes out a moment later; the deltas below say if it did not
		after = scrape(t, addr)
		return metric(t, after, `authd_mail_sent_total{result="sent"}`) >= 1
	})
	for _, c := range []struct {
		series string
		delta  float64
	}{
		{`authd_logins_total{result="success"}`, 1},
		{`authd_logins_total{result="invalid_credentials"}`, 1},
		{`authd_mail_sent_total{result="sent"}`, 1},
		{`authd_http_requests_total{code="201",method="POST",route="/api/v1/auth/register"}`, 1},
		{`authd_http_requests_total{code="200",method="GET",route="/api/v1/auth/email/verify/:token"}`, 1},
		{`authd_http_requests_total{code="429",method="POST",route="/api/v1/auth/login"}`, 1},
	} {
		if got := metric(t, after, c.series) - metric(t, before, c.series); got < c.delta {
			t.Errorf("%s moved by %v, want %v; series:\n%s", c.series, got, c.delta, grepLines(after, "authd_http_requests_total"))
		}
	}
	// The second read answers from the copy the first kept, where versions
	// are shared (memcached); the process-local denylist keeps none.
	copies, reads := 0.0, 2.0
	if backend.memcached != "" {
		copies = 1
	}
	for source, want := range map[string]float64{"copy": copies, "store": reads - copies} {
		series := `authd_profile_reads_total{source="` + source + `"}`
		if got := metric(t, after, series) - metric(t, before, series); got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	if !regexp.MustCompile(`authd_rate_limited_total\{rule="[a-z_]+"\} [1-9]`).MatchString(after) {
		t.Error("no rate_limited count")
	}
	for _, want := range []string{"authd_http_request_duration_seconds_bucket", "authd_password_hash_wait_seconds_bucket",
		"authd_password_hashes_in_flight", "authd_outbox_pending", "authd_denylist_errors_total", "authd_build_info{",
		"go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(after, want) {
			t.Errorf("no %s series", want)
		}
	}
	if strings.Contains(after, link) || strings.Contains(after, "jane@example.com") {
		t.Fatal("a label carries a token or an email")
	}
	a.do("GET", "/metrics", nil).Want(t, 404, "not_found")
}

func TestMetricsOff(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig(testEnv(t.TempDir(), map[string]string{"AUTH_METRICS_ADDR": setEmpty}))
	if err != nil || cfg.MetricsAddr != "" {
		t.Fatalf("empty AUTH_METRICS_ADDR: %q %v, want off", cfg.MetricsAddr, err)
	}
	if cfg, _ := LoadConfig(func(string) string { return "" }); cfg.MetricsAddr != "127.0.0.1:9464" {
		t.Fatalf("default %q", cfg.MetricsAddr)
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
