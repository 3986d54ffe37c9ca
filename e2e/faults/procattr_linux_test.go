package faults

import "syscall"

// childProcAttr kills a collector when the test binary dies (a panic or `go test -timeout`),
// so that none outlives the test.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
