package password

import (
	"os"
	"strconv"
	"syscall"
)

// lowestPriority is the nice value of the worker: the kernel's CFS weights a
// nice-19 thread at 15 against 1024 for the server's, so the server's threads
// get the cores whenever they are runnable.
const lowestPriority = 19

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
