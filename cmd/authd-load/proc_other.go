//go:build !linux

package main

import "os/exec"

// detach leaves the child as it is where process groups and death signals
// are not portable.
func detach(*exec.Cmd) {}
