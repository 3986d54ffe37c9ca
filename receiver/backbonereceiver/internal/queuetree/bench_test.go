package queuetree

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// benchTree returns the tree to benchmark: BACKBONE_BENCH_TREE (see
// scripts/bench.sh) or a small one built for the run.
func benchTree(b *testing.B) string {
	b.Helper()
	if dir := os.Getenv("BACKBONE_BENCH_TREE"); dir != "" {
		return dir
	}
	dir := b.TempDir()
	buildBenchTree(b, dir, 10, 200)
	return dir
}

// BenchmarkScanFull measures a first scan: every folder is listed.
func BenchmarkScanFull(b *testing.B) {
	benchScan(b, Options{Root: benchTree(b)}, false)
}

// BenchmarkScanUnchanged measures a scan of a tree that has not changed
// since the previous scan of the same Scanner, between two listings of
// archive/.
func BenchmarkScanUnchanged(b *testing.B) {
	benchScan(b, Options{Root: benchTree(b), ArchiveInterval: time.Hour}, true)
}

// BenchmarkScanFullArchiveDetails measures the cost of stat'ing every
// archived file.
func BenchmarkScanFullArchiveDetails(b *testing.B) {
	benchScan(b, Options{Root: benchTree(b), ArchiveDetails: true}, false)
}

func benchScan(b *testing.B, opts Options, reuse bool) {
	b.ReportAllocs()
	s := NewScanner(opts)
	if reuse {
		scanFor(b, s)
		// Let racily clean folders age past the window, as in a real
		// deployment where scans are a minute apart.
		s.now = func() time.Time { return time.Now().Add(time.Minute) }
		scanFor(b, s)
	}
	var files int64
	for b.Loop() {
		if !reuse {
			s = NewScanner(opts)
		}
		files = totalMessages(scanFor(b, s))
	}
	if files == 0 {
		b.Fatalf("no message found below %s: is it a backbone-issue-sync or namespace folder?", opts.Root)
	}
	b.ReportMetric(float64(files), "files/op")
}

func scanFor(b *testing.B, s *Scanner) *Tree {
	b.Helper()
	t := s.Scan(b.Context())
	if len(t.Problems) > 0 {
		b.Fatalf("problems: %v", t.Problems)
	}
	return t
}

// BenchmarkLiveHeap reports the heap still in use after a scan, with the
// Scanner and its Tree alive: it must not grow with the archived files.
func BenchmarkLiveHeap(b *testing.B) {
	root := benchTree(b)
	var live int64
	for b.Loop() {
		before := heapInUse()
		s := NewScanner(Options{Root: root})
		t := s.Scan(b.Context())
		live = heapInUse() - before
		runtime.KeepAlive(s)
		runtime.KeepAlive(t)
	}
	b.ReportMetric(float64(live), "live-B")
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
