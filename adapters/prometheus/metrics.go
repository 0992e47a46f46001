package prometheus

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"authd/domain"
	"authd/ports"
)

// Config names the listener and the build that the metrics describe.
type Config struct {
	Addr    string // host:port of the metrics listener; "" switches it off
	Version string // authd_build_info{version}
	Commit  string // authd_build_info{commit}
}

// Metrics is the ports.Metrics of a running authd: its own registry (so tests
// can run several instances in one process) with the Go and process collectors.
type Metrics struct {
	cfg      Config
	registry *prometheus.Registry

	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	logins        *prometheus.CounterVec
	rateLimited   *prometheus.CounterVec
	hashesRunning prometheus.Gauge
	hashWait      prometheus.Histogram
	outbox        prometheus.Gauge
	mail          *prometheus.CounterVec
	denylist      prometheus.Counter
	profileReads  *prometheus.CounterVec
}

var _ ports.Metrics = (*Metrics)(nil)

// ProviderSet lets wire build the Metrics and bind it to the port.
var ProviderSet = wire.NewSet(New, wire.Bind(new(ports.Metrics), new(*Metrics)))

// New registers every authd series on a fresh registry.
func New(cfg Config) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		cfg:      cfg,
		registry: r,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code."}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "authd_http_request_duration_seconds",
			Help: "Time to answer HTTP requests, by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_logins_total",
			Help: "Login attempts by result (success, mfa_required or the refusing error code)."}, []string{"result"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_rate_limited_total",
			Help: "Requests refused by an abuse limit, by rule."}, []string{"rule"}),
		hashesRunning: prometheus.NewGauge(prometheus.GaugeOpts{Name: "authd_password_hashes_in_flight",
			Help: "Password hashes running now."}),
		hashWait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "authd_password_hash_wait_seconds",
			Help: "Time a password hash waited for a slot of the bounded pool.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 8)}),
		outbox: prometheus.NewGauge(prometheus.GaugeOpts{Name: "authd_outbox_pending",
			Help: "Mail messages awaiting delivery, as last seen by the dispatcher."}),
		mail: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_mail_sent_total",
			Help: "Mail delivery attempts by result (sent, retry, dead)."}, []string{"result"}),
		denylist: prometheus.NewCounter(prometheus.CounterOpts{Name: "authd_denylist_errors_total",
			Help: "Failed calls to the token denylist."}),
		profileReads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_profile_reads_total",
			Help: "Reads of the caller's own account (GET /users/me) by where they were answered from: copy or store."}, []string{"source"}),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "authd_build_info",
		Help: "Always 1; the labels name the running build."}, []string{"version", "commit"})
	build.WithLabelValues(cfg.Version, cfg.Commit).Set(1)
	r.MustRegister(m.requests, m.duration, m.logins, m.rateLimited, m.hashesRunning, m.hashWait, m.outbox, m.mail, m.denylist, m.profileReads, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// HTTPRequest implements ports.Metrics.
func (m *Metrics) HTTPRequest(route, method string, status int, took time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(took.Seconds())
}

// Login implements ports.Metrics.
func (m *Metrics) Login(result string) { m.logins.WithLabelValues(result).Inc() }

// RateLimited implements ports.Metrics.
func (m *Metrics) RateLimited(rule string) { m.rateLimited.WithLabelValues(rule).Inc() }

// PasswordHash implements ports.Metrics.
func (m *Metrics) PasswordHash(waited time.Duration) func() {
	m.hashWait.Observe(waited.Seconds())
	m.hashesRunning.Inc()
	return m.hashesRunning.Dec
}

// OutboxPending implements ports.Metrics.
func (m *Metrics) OutboxPending(n int) { m.outbox.Set(float64(n)) }

// MailSent implements ports.Metrics.
func (m *Metrics) MailSent(result string) { m.mail.WithLabelValues(result).Inc() }

// DenylistError implements ports.Metrics.
func (m *Metrics) DenylistError() { m.denylist.Inc() }

// ProfileRead implements ports.Metrics.
func (m *Metrics) ProfileRead(source string) { m.profileReads.WithLabelValues(source).Inc() }

// Handler serves GET /metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	return mux
}

// Enabled tells whether a metrics listener is configured.
func (m *Metrics) Enabled() bool { return m.cfg.Addr != "" }

// Listen opens the configured metrics listener.
func (m *Metrics) Listen() (net.Listener, error) { return net.Listen("tcp", m.cfg.Addr) }

// Serve answers scrapes on ln until ctx ends, then shuts the listener down.
func (m *Metrics) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; err == nil && !errors.Is(serr, http.ErrServerClosed) {
		err = serr
	}
	return err
}

// Denylist counts the errors of a ports.TokenDenylist; a stale denylist is a
// state, not an error, and is not counted.
type Denylist struct {
	ports.TokenDenylist
	m ports.Metrics
}

// CountDenylistErrors wraps d so that each failed call moves authd_denylist_errors_total.
func CountDenylistErrors(d ports.TokenDenylist, m ports.Metrics) *Denylist {
	return &Denylist{TokenDenylist: d, m: m}
}

func (d *Denylist) count(err error) error {
	if err != nil && !errors.Is(err, ports.ErrDenylistStale) {
		d.m.DenylistError()
	}
	return err
}

// Add implements ports.TokenDenylist.
func (d *Denylist) Add(ctx context.Context, revs ...domain.Revocation) error {
	return d.count(d.TokenDenylist.Add(ctx, revs...))
}

// Contains implements ports.TokenDenylist.
func (d *Denylist) Contains(ctx context.Context, id domain.SessionID) (bool, error) {
	ok, err := d.TokenDenylist.Contains(ctx, id)
	return ok, d.count(err)
}

// ContainsForUser implements ports.TokenDenylist.
func (d *Denylist) ContainsForUser(ctx context.Context, id domain.SessionID, user domain.UserID) (bool, string, error) {
	ok, version, err := d.TokenDenylist.ContainsForUser(ctx, id, user)
	return ok, version, d.count(err)
}

// MarkSeeded implements ports.TokenDenylist.
func (d *Denylist) MarkSeeded(ctx context.Context) error {
	return d.count(d.TokenDenylist.MarkSeeded(ctx))
}

// Ping implements ports.TokenDenylist.
func (d *Denylist) Ping(ctx context.Context) error { return d.count(d.TokenDenylist.Ping(ctx)) }
