package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// layout describes the synthetic tree.
type layout struct {
	integrations int
	archive      int     // archived messages per connector
	centralized  float64 // share of integrations with two connectors
}

// others lists the few messages written per connector outside archive/,
// relative to the connector folder: enough for every counting path to be
// exercised without changing the size of the tree much.
var others = []struct {
	dir   string
	count int
}{
	{"RECEIVE", 1},
	{"RECEIVE/error/ISSUE-1", 2},
	{"RECEIVE/issue-missing/ISSUE-2", 1},
	{"RECEIVE/sequence-error", 2},
	{"SEND", 1},
	{"SEND/error", 1},
}

// emptyDirs exist in every connector so the tree looks like Backbone's.
var emptyDirs = []string{"RECEIVE/offline", "RECEIVE/invalid", "RECEIVE/discard"}

// payload stands in for a message: its content is opaque to the scanner.
var payload = []byte("synthetic Backbone message: content is opaque to the scanner\n")

type job struct {
	dir   string
	first int
	count int
}

// write creates the tree with workers goroutines and returns the number of
// message files written.
func write(root string, l layout, workers int) (int64, error) {
	var jobs []job
	centralized := int(float64(l.integrations)*l.centralized + 0.5)
	for i := 1; i <= l.integrations; i++ {
		connectors := 1
		if i <= centralized {
			connectors = 2
		}
		for c := 1; c <= connectors; c++ {
			conn := filepath.Join(root, "default", fmt.Sprintf("INT-%d", i), fmt.Sprintf("P%d-%d", c, i))
			for _, d := range emptyDirs {
				if err := os.MkdirAll(filepath.Join(conn, d), 0o755); err != nil {
					return 0, err
				}
			}
			for _, o := range others {
				jobs = append(jobs, job{dir: filepath.Join(conn, o.dir), count: o.count})
			}
			// Split archive/ into chunks so large folders fill in parallel.
			archive := filepath.Join(conn, "RECEIVE", "archive")
			if err := os.MkdirAll(archive, 0o755); err != nil {
				return 0, err
			}
			for first := 0; first < l.archive; first += 1000 {
				jobs = append(jobs, job{dir: archive, first: first, count: min(1000, l.archive-first)})
			}
		}
	}
	return runJobs(jobs, workers)
}

func runJobs(jobs []job, workers int) (int64, error) {
	var (
		written atomic.Int64
		next    atomic.Int64
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				n, err := writeJob(jobs[i])
				written.Add(n)
				if err != nil {
					errOnce.Do(func() { first = err })
					next.Store(int64(len(jobs)))
					return
				}
			}
		})
	}
	wg.Wait()
	return written.Load(), first
}

func writeJob(j job) (int64, error) {
	if err := os.MkdirAll(j.dir, 0o755); err != nil {
		return 0, err
	}
	var n int64
	for k := j.first; k < j.first+j.count; k++ {
		name := filepath.Join(j.dir, fmt.Sprintf("msg-%09d-%08x.bac", k, uint32(k)*2654435761))
		if err := os.WriteFile(name, payload, 0o644); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
