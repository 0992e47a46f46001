package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of /proc's CPU times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// party is a process tree whose CPU time a cell accounts for: authd (with
// its password worker), each database container, the load generator.
type party struct {
	name string
	pid  int // root of the tree; 0: this process
	// kids: only the tree's children count (authd's password worker, shown
	// beside authd's whole tree).
	kids bool
}

// cpuTimes reads the CPU time (user + system) of each party's process tree.
func cpuTimes(parties []party) []time.Duration {
	out := make([]time.Duration, len(parties))
	for i, p := range parties {
		if p.pid == 0 {
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				out[i] = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			}
			continue
		}
		if p.kids {
			for _, kid := range childPids(p.pid) {
				out[i] += treeCPU(kid, 1)
			}
			continue
		}
		out[i] = treeCPU(p.pid, 0)
	}
	return out
}

// treeCPU is the CPU time of pid and of its live descendants.
func treeCPU(pid, depth int) time.Duration {
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 15 {
		return 0
	}
	// utime, stime, and cutime, cstime (children that ended and were waited
	// for: a database's short-lived workers): fields 14 to 17.
	var ticks int64
	for _, f := range fields[11:15] {
		n, _ := strconv.ParseInt(f, 10, 64)
		ticks += n
	}
	total := time.Duration(ticks) * clockTick
	if depth > 4 {
		return total
	}
	for _, kid := range childPids(pid) {
		total += treeCPU(kid, depth+1)
	}
	return total
}

// childPids lists the live children of pid (each of its threads lists the
// children it started).
func childPids(pid int) []int {
	dir := "/proc/" + strconv.Itoa(pid) + "/task/"
	tasks, _ := os.ReadDir(dir)
	var out []int
	for _, t := range tasks {
		kids, _ := os.ReadFile(dir + t.Name() + "/children")
		for _, k := range strings.Fields(string(kids)) {
			if n, err := strconv.Atoi(k); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// containerPid is the host pid of a container's first process.
func containerPid(ctx context.Context, id string) int {
	out, err := docker(ctx, "inspect", "-f", "{{.State.Pid}}", id)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(out)
	return n
}

// cpuNote says how much CPU each party spent per request of a cell.
func cpuNote(parties []party, before, after []time.Duration, requests int) string {
	if requests == 0 || len(parties) == 0 {
		return ""
	}
	var parts []string
	for i, p := range parties {
		per := (after[i] - before[i]) / time.Duration(requests)
		parts = append(parts, fmt.Sprintf("%s %dµs", p.name, per.Microseconds()))
	}
	return "CPU/request: " + strings.Join(parts, ", ")
}
