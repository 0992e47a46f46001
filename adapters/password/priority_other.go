//go:build !linux

package password

// lowerThreadPriority leaves the thread as it is: only Linux sets the
// priority of one thread; hashing then competes with requests as equals.
func lowerThreadPriority() bool { return false }
