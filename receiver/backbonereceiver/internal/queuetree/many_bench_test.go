//go:build unix

package queuetree

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// BenchmarkScanManyIntegrations measures the CPU (user and system, all
// threads, with a garbage collection after each scan) of one scan of a tree
// of 2,000 integrations (4,000 connectors), first and with nothing changed
// since the previous scan: the cost every collection interval pays. The
// tree is BACKBONE_BENCH_MANY_TREE (see scripts/bench.sh) or a small-layout
// one built for the run. Between its listings, archive/ costs nothing
// whatever its size, so a few archived messages per connector stand for any
// number.
func BenchmarkScanManyIntegrations(b *testing.B) {
	root := os.Getenv("BACKBONE_BENCH_MANY_TREE")
	if root == "" {
		root = b.TempDir()
		buildBenchTree(b, root, 2000, 5)
	}
	b.Run("scan=full", func(b *testing.B) {
		benchScanCPU(b, func() *Scanner { return NewScanner(Options{Root: root}) })
	})
	b.Run("scan=unchanged", func(b *testing.B) {
		s := NewScanner(Options{Root: root, ArchiveInterval: time.Hour})
		scanFor(b, s)
		// Let racily clean folders age past the window, as between intervals.
		s.now = func() time.Time { return time.Now().Add(time.Minute) }
		scanFor(b, s)
		benchScanCPU(b, func() *Scanner { return s })
	})
}

// benchScanCPU reports the CPU per scan of the Scanner next returns.
func benchScanCPU(b *testing.B, next func() *Scanner) {
	b.ReportAllocs()
	var cpu time.Duration
	var connectors int
	for b.Loop() {
		before := cpuTime(b)
		t := scanFor(b, next())
		runtime.GC()
		cpu += cpuTime(b) - before
		connectors = len(t.Connectors)
	}
	if connectors == 0 {
		b.Fatal("no connector found")
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(connectors), "connectors/op")
}
