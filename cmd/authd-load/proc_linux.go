package main

import (
	"os/exec"
	"syscall"
)

// detach puts a child in its own process group (a Ctrl-C reaches only this
// program, which then stops the child in order) and has the kernel kill it if
// this program dies without cleaning up.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
