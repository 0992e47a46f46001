package main

import "authd/adapters/prometheus"

// metricsConfig names the metrics listener and the build for authd_build_info,
// read from the binary's build information (module version, VCS revision).
func metricsConfig(cfg Config) prometheus.Config {
	version, commit, _ := buildInfo()
	return prometheus.Config{Addr: cfg.MetricsAddr, Version: version, Commit: commit}
}
