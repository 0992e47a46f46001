package password

import "golang.org/x/sys/unix"

// lowestPriority is the nice value of hashing threads: the kernel runs them
// only when nothing of normal priority wants the CPU, or for a small share of
// it when something does.
const lowestPriority = 19

// lowerThreadPriority sets the calling OS thread (Linux schedules threads,
// not processes) to the lowest priority, which needs no privilege; it reports
// whether that worked.
func lowerThreadPriority() bool {
	return unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), lowestPriority) == nil
}
