package main

import (
	"runtime"
	"runtime/debug"
)

// Stamped at build time by `make build` and `make image`:
// -ldflags "-X main.version=v1.2.3 -X main.commit=abc1234". Unstamped builds are "dev".
var (
	version = "dev"
	commit  = ""
)

// buildInfo returns the version, the commit (from the stamp, else from the Go
// build's VCS information, else "unknown") and the Go version.
func buildInfo() (ver, rev, goVersion string) {
	rev = commit
	if rev == "" {
		rev = "unknown"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && s.Value != "" {
					rev = s.Value
				}
			}
		}
	}
	return version, rev, runtime.Version()
}
