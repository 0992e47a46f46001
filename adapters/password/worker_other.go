//go:build !linux

package password

// lowerPriority does nothing off Linux: the worker still keeps the hashes out
// of the server process, at the default priority.
func lowerPriority() {}
