//go:build unix

package queuetree

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkPollWatched measures one events_poll_interval poll of every
// watched folder of 200 integrations (400 connectors; error/, sequence-error/
// and SEND/error/ each, 1,200 folders), as on a network file system where
// nothing is notified: with nothing changed (a stat per folder and per issue
// folder, no listing), and with one new message per poll (that issue folder
// listed alone). cpu-%@5s is the CPU time (user and system, all threads) as a
// share of one core at the default 5 s poll; listed/op counts the folders
// listed. The tree is BACKBONE_BENCH_POLL_TREE when set (a tree built by
// scripts/bench.sh, or on a network file system), else one built for the run.
// scripts/bench.sh counts its system calls per poll with strace.
func BenchmarkPollWatched(b *testing.B) {
	root := os.Getenv("BACKBONE_BENCH_POLL_TREE")
	if root == "" {
		root = b.TempDir()
		buildBenchTree(b, root, 200, 0)
	}
	s := NewScanner(Options{Root: root})
	full := s.Scan(b.Context())
	folders := WatchedFolders(full, func(f Folder) bool { return f == Error || f == SequenceError || f == SendError })
	if len(folders) == 0 {
		b.Fatal("no watched folder")
	}
	// Polls come well after the folders' last change: none is racily clean.
	s.now = func() time.Time { return time.Now().Add(time.Minute) }
	s.PollWatched(b.Context(), folders) // the first poll lists everything
	b.Run("changed=none", func(b *testing.B) {
		benchPoll(b, s, folders, func(int) {})
	})
	b.Run("changed=one", func(b *testing.B) {
		var issue string
		for _, wf := range folders {
			if wf.Folder == Error {
				issue = filepath.Join(wf.Path(), "BENCH-1")
				break
			}
		}
		if err := os.MkdirAll(issue, 0o755); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = os.RemoveAll(issue) })
		s.PollWatched(b.Context(), folders)
		benchPoll(b, s, folders, func(i int) {
			if err := os.WriteFile(filepath.Join(issue, fmt.Sprintf("new-%09d.bac", i)), []byte("new"), 0o644); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// benchPoll reports the CPU and the folders listed per poll, change(i) run
// before poll i and left out of both.
func benchPoll(b *testing.B, s *Scanner, folders []Watched, change func(int)) {
	b.ReportAllocs()
	var (
		cpu    time.Duration
		listed int
	)
	i := 0
	for b.Loop() {
		b.StopTimer()
		change(i)
		i++
		b.StartTimer()
		before := cpuTime(b)
		_, list := s.PollWatched(b.Context(), folders)
		cpu += cpuTime(b) - before
		listed += len(list)
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/5e9*100, "cpu-%@5s")
	b.ReportMetric(float64(listed)/float64(b.N), "listed/op")
}
