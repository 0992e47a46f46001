//go:build !linux

package password

import "os"

// lowerPriority does nothing off Linux: the worker still keeps the hashes out
// of the server process, at the default priority.
func lowerPriority() {}

// pollable returns the inherited fd as it is.
func pollable(fd int, name string) *os.File { return os.NewFile(uintptr(fd), name) }
