//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sample is one measurement of the collector and its surroundings.
type sample struct {
	at          time.Duration // since the collector started
	rssMiB      float64       // VmRSS from /proc/<pid>/status
	heapMiB     float64       // otelcol_process_runtime_heap_alloc_bytes: live and garbage
	liveMiB     float64       // heap live after the collections since the last sample (gctrace); -1: none
	gcs         int           // garbage collections since the last sample
	goroutines  int           // from the scheduler trace; -1 when none came yet
	threads     int           // Threads from /proc/<pid>/status
	fds         int           // entries of /proc/<pid>/fd
	cpuSeconds  float64       // otelcol_process_cpu_seconds
	storageKiB  float64       // size of the file_storage folder
	treeFiles   int           // files in the simulator's tree
	scrapes     int           // the simulator's API requests: one per scrape
	records     int           // message records the sink accepted
	metricsReqs int           // metrics requests the sink accepted
}

// procStatus reads VmRSS (KiB) and Threads of a process.
func procStatus(pid int) (rssKiB, threads int, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			rssKiB, _ = strconv.Atoi(fields[0])
		case "Threads":
			threads, _ = strconv.Atoi(fields[0])
		}
	}
	return rssKiB, threads, sc.Err()
}

// openFDs counts a process's open file descriptors.
func openFDs(pid int) (int, error) {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(entries), err
}

// dirSize returns the bytes of the files under dir and their number.
func dirSize(dir string) (size int64, files int) {
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		files++
		if fi, err := d.Info(); err == nil {
			size += fi.Size()
		}
		return nil
	})
	return size, files
}

const tableHeader = "     t   rss MiB  heap MiB  live MiB  gcs  goroutines  threads  fds  cpu %  storage KiB  tree files  scrapes  msg records"

func (s sample) row(prev sample) string {
	cpu := 0.0
	if dt := (s.at - prev.at).Seconds(); dt > 0 {
		cpu = 100 * (s.cpuSeconds - prev.cpuSeconds) / dt
	}
	return fmt.Sprintf("%6s  %8.1f  %8.1f  %8.1f  %3d  %10d  %7d  %3d  %5.1f  %11.0f  %10d  %7d  %11d",
		s.at.Round(time.Second), s.rssMiB, s.heapMiB, s.liveMiB, s.gcs, s.goroutines, s.threads, s.fds, cpu, s.storageKiB,
		s.treeFiles, s.scrapes, s.records)
}

// trend compares the mean of the last third of the samples with the mean of the first third.
type trend struct {
	name        string
	first, last float64
	flat        bool
}

// trends judges each resource: flat when the last third's mean is at most 10% above the first
// third's, plus a small absolute slack for values near zero. The heap is judged by what stays
// live after collections: the allocated heap is a sawtooth whose samples say little.
func trends(samples []sample) []trend {
	n := len(samples) / 3
	if n == 0 {
		return nil
	}
	// mean skips negative values: a goroutine count not known yet.
	mean := func(part []sample, f func(sample) float64) float64 {
		total, n := 0.0, 0
		for _, s := range part {
			if v := f(s); v >= 0 {
				total += v
				n++
			}
		}
		if n == 0 {
			return -1
		}
		return total / float64(n)
	}
	measures := []struct {
		name  string
		slack float64
		f     func(sample) float64
	}{
		{"rss MiB", 4, func(s sample) float64 { return s.rssMiB }},
		{"live MiB", 4, func(s sample) float64 { return s.liveMiB }},
		{"goroutines", 5, func(s sample) float64 { return float64(s.goroutines) }},
		{"threads", 2, func(s sample) float64 { return float64(s.threads) }},
		{"fds", 3, func(s sample) float64 { return float64(s.fds) }},
	}
	var out []trend
	for _, m := range measures {
		first, last := mean(samples[:n], m.f), mean(samples[len(samples)-n:], m.f)
		out = append(out, trend{name: m.name, first: first, last: last, flat: first >= 0 && last <= first*1.10+m.slack})
	}
	return out
}
