//go:build unix

package queuetree

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system CPU time so far, all threads:
// unlike wall time, it does not grow when other work shares the cores.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
