//go:build !linux

package faults

import "syscall"

// childProcAttr has nothing to add where the kernel cannot signal a child on its parent's death.
func childProcAttr() *syscall.SysProcAttr { return nil }
