package main

import (
	"runtime/debug"

	"authd/adapters/prometheus"
)

// metricsConfig names the metrics listener and the build for authd_build_info,
// read from the binary's build information (module version, VCS revision).
func metricsConfig(cfg Config) prometheus.Config {
	version, commit := "devel", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	return prometheus.Config{Addr: cfg.MetricsAddr, Version: version, Commit: commit}
}
