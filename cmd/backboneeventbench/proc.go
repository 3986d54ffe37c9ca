//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/selfmetrics"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/wait"
)

// clockTicks is the unit of utime and stime in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const clockTicks = 100

// cpuSeconds returns the user and system CPU time a process has used.
func cpuSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks, nil
}

// cpuPercent measures a process's CPU over window, in percent of one core.
func cpuPercent(ctx context.Context, pid int, window time.Duration) (float64, error) {
	before, err := cpuSeconds(pid)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if !wait.Sleep(ctx, window) {
		return 0, ctx.Err()
	}
	after, err := cpuSeconds(pid)
	if err != nil {
		return 0, err
	}
	return 100 * (after - before) / time.Since(start).Seconds(), nil
}

// rssMiB reads a process's resident set size.
func rssMiB(pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kib, _ := strconv.ParseFloat(strings.Fields(v)[0], 64)
			return kib / 1024
		}
	}
	return -1
}

// heapMiB reads the collector's heap (live and garbage) from its own metrics.
func heapMiB(port int) float64 {
	m, err := selfmetrics.Read(port)
	if err != nil {
		return -1
	}
	return m["otelcol_process_runtime_heap_alloc_bytes"] / (1 << 20)
}
