package password

import (
	"os"
	"strconv"
	"syscall"
)

// lowerPriority moves every thread of this process to the lowest priority.
// Linux keeps the nice value per thread, and a new thread inherits its
// creator's, so renicing the threads there are covers the ones the runtime
// starts later. Raising one's own nice value needs no privilege.
func lowerPriority() {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, lowestPriority)
		return
	}
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, lowestPriority)
		}
	}
}

// pollable returns the inherited pipe fd as a file on the runtime's poller.
// The parent's ends come non-blocking from os.Pipe, but a child inherits
// blocking ones, and a read that blocks in the kernel holds its P until the
// runtime's monitor takes it back (up to 10 ms when idle): with one core's P
// stuck there, only the other hashes. Non-blocking, the read parks the
// goroutine and frees the P at once.
func pollable(fd int, name string) *os.File {
	_ = syscall.SetNonblock(fd, true) // when it fails, the file still works, blocking
	return os.NewFile(uintptr(fd), name)
}
