// Package prometheus implements ports.Metrics with prometheus/client_golang and
// serves the registry in the Prometheus text format on its own listener
// (AUTH_METRICS_ADDR), never on the public one. It also offers decorators that
// count what a port does (denylist errors) without the port's adapter knowing.
package prometheus
