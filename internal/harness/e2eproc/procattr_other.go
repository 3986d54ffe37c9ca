//go:build !linux

package e2eproc

import "syscall"

// childProcAttr: only Linux can tie a child's life to its parent's; elsewhere the test's
// context and cleanup stop the children.
func childProcAttr() *syscall.SysProcAttr { return nil }
