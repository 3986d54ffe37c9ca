//go:build unix

package queuetree

import (
	"testing"
	"time"
)

// BenchmarkListWatched measures the re-list of every watched folder of 200
// integrations (400 connectors) with the events switched on by default,
// nothing changing: the cost of one events_poll_interval poll. cpu-%@5s is
// its CPU time (user and system, all threads) as a share of one core at the
// default 5 s poll; unlike ns/op, it does not grow on a loaded machine.
func BenchmarkListWatched(b *testing.B) {
	root := b.TempDir()
	buildBenchTree(b, root, 200, 0)
	s := NewScanner(Options{Root: root})
	full := s.Scan(b.Context())
	folders := WatchedFolders(full, func(f Folder) bool { return f == Error || f == SequenceError || f == SendError })
	if len(folders) != 1200 {
		b.Fatalf("%d watched folders, want 1200", len(folders))
	}
	// Let racily clean folders age past the window, as between polls.
	s.now = func() time.Time { return time.Now().Add(time.Minute) }
	s.ListWatched(b.Context(), folders)
	b.ReportAllocs()
	var files int64
	before := cpuTime(b)
	for b.Loop() {
		files = totalMessages(s.ListWatched(b.Context(), folders))
	}
	cpu := cpuTime(b) - before
	if files != 800 {
		b.Fatalf("%d files, want 800", files)
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/5e9*100, "cpu-%@5s")
}
