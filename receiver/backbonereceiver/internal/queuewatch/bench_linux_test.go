//go:build linux

package queuewatch

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/latency"
)

// BenchmarkNotifyLatency measures the delay from a message file's creation
// to the change of its folder reaching the consumer, with the watched
// folders of 200 integrations (400 connectors, 1,200 folders and 400 issue
// folders) watched. Each iteration writes one file into the next folder
// and waits for its change: notify-p50-ms, notify-p95-ms, notify-max-ms.
func BenchmarkNotifyLatency(b *testing.B) {
	root := b.TempDir()
	var folders []Folder
	for i := 1; i <= 200; i++ {
		for c := 1; c <= 2; c++ {
			_, _, _, f := layout(b, filepath.Join(root, fmt.Sprintf("INT-%d", i), fmt.Sprintf("P%d", c)))
			folders = append(folders, f...)
		}
	}
	w := New(Options{})
	defer w.Close()
	w.Set(folders)
	if n := len(w.PollOnly()); n > 0 {
		b.Fatalf("%d folders not watched", n)
	}
	w.Take()
	drain(w)

	var samples []time.Duration
	i := 0
	for b.Loop() {
		f := folders[i%len(folders)]
		dir := f.Path
		if f.Issues {
			dir = filepath.Join(dir, "AP-1")
		}
		start := time.Now()
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%06d.bac", i)), []byte("message"), 0o644); err != nil {
			b.Fatal(err)
		}
		for seen := false; !seen; {
			select {
			case <-w.Changed():
			case <-time.After(time.Minute):
				b.Fatalf("no change of %s", f.Path)
			}
			seen = slices.Contains(w.Take().Folders, f.Path)
		}
		samples = append(samples, time.Since(start))
		i++
	}
	latency.Of(samples).Report(b, "notify")
}
