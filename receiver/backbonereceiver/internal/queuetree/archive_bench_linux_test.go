//go:build linux

package queuetree

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuewatch"
)

// churnInterval is the collection interval the churn benchmarks simulate.
const churnInterval = time.Second

// BenchmarkScanBusyArchive measures the process CPU per collection interval while
// 100 messages per second move into archive/ folders, round robin: with the archive
// counts kept from notifications, listed at every scan (notification off), the same
// layout without archived files (listed; the target compares "notify" with it), and the
// moves alone (what the others include of the mover's own work). One op is one interval.
// The tree is built for the run (BACKBONE_BENCH_INTEGRATIONS integrations, default 20,
// two connectors each, BACKBONE_BENCH_ARCHIVE archived files per connector, default
// 5,000), never BACKBONE_BENCH_TREE: the moves change it.
func BenchmarkScanBusyArchive(b *testing.B) {
	perConnector, integrations := 5000, 20
	if v, err := strconv.Atoi(os.Getenv("BACKBONE_BENCH_ARCHIVE")); err == nil && v > 0 {
		perConnector = v
	}
	if v, err := strconv.Atoi(os.Getenv("BACKBONE_BENCH_INTEGRATIONS")); err == nil && v > 0 {
		integrations = v
	}
	for _, mode := range []string{"notify", "listed", "no-archive", "moves-only"} {
		b.Run(mode, func(b *testing.B) {
			root := b.TempDir()
			archived := perConnector
			if mode == "no-archive" {
				archived = 0
			}
			buildBenchTree(b, root, integrations, archived)
			receives, _ := filepath.Glob(filepath.Join(root, "default", "*", "*", "RECEIVE"))
			for _, r := range receives { // archive/ exists, empty or not, for the moves
				if err := os.MkdirAll(filepath.Join(r, "archive"), 0o755); err != nil {
					b.Fatal(err)
				}
			}
			archives, _ := filepath.Glob(filepath.Join(root, "default", "*", "*", "RECEIVE", "archive"))
			opts := Options{Root: root}
			if mode == "notify" {
				counter := queuewatch.NewCounter(queuewatch.CounterOptions{})
				defer counter.Close()
				opts.ArchiveCounts = counter
			}
			s := NewScanner(opts)
			s.Scan(b.Context()) // the first scan lists everything
			stop := moveIntoArchives(b, archives)
			defer stop()
			before := cpuTime(b)
			for b.Loop() {
				time.Sleep(churnInterval)
				if mode != "moves-only" {
					s.Scan(b.Context())
				}
			}
			b.ReportMetric(float64((cpuTime(b)-before).Microseconds())/1000/float64(b.N), "cpu-ms/interval")
		})
	}
}

// moveIntoArchives writes a message beside an archive and moves it in, 100 times per
// second, until the returned stop is called.
func moveIntoArchives(b *testing.B, archives []string) (stop func()) {
	b.Helper()
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-t.C:
			}
			archive := archives[i%len(archives)]
			name := fmt.Sprintf("moved-%d.bac", i)
			in := filepath.Join(filepath.Dir(archive), name)
			if os.WriteFile(in, []byte("message"), 0o644) == nil {
				_ = os.Rename(in, filepath.Join(archive, name))
			}
		}
	}()
	return func() { close(done); <-ended }
}
