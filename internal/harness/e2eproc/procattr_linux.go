package e2eproc

import "syscall"

// childProcAttr kills a child when the test binary dies (a panic or `go test -timeout`),
// so that no collector or server outlives the test.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
