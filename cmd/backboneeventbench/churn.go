//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/selfmetrics"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/wait"
)

// churn measures the collector's CPU per collection interval while messages move into
// archive/ folders: on the tree with archived files, whose archives are listed at the first
// scan and then every archive_interval, and on the same layout without archived files. The
// difference is what the archive costs. Each measure spans one archive_interval and one
// collection interval more, so that it holds exactly one listing of every archive after the
// first.
func churn(ctx context.Context, o options) error {
	every := o.churnArchiveInterval
	intervals := int(every/o.churnInterval) + 1
	runs := []struct{ label, tree string }{
		{fmt.Sprintf("archived files (archive_interval %s)", every), o.churnTree},
		{"the layout without archived files", o.churnTreeEmpty},
	}
	fmt.Printf("\n== %d moves/s into archive/, collection_interval %s, collector CPU over %d intervals (the moves run in this process: not included)\n",
		o.churnRate, o.churnInterval, intervals)
	fmt.Printf("trees: %s (archived files), %s (none)\n", o.churnTree, o.churnTreeEmpty)
	ms := make([]float64, len(runs))
	for i, r := range runs {
		res, err := churnCPU(ctx, o, r.tree, intervals)
		if err != nil {
			return fmt.Errorf("%s: %w", r.label, err)
		}
		ms[i] = res.cpuMs
		fmt.Printf("%-45s %7.1f ms CPU per interval (%d moves, %.0f/s)\n",
			r.label+":", res.cpuMs, res.moves, float64(res.moves)/res.took.Seconds())
	}
	archive := ms[0] - ms[1]
	fmt.Printf("the archive: %.1f ms CPU per interval, %.2f%% of a core; with / without archived files: %.2f\n",
		archive, archive/float64(o.churnInterval.Milliseconds())*100, ms[0]/ms[1])
	return nil
}

// churnResult is what one run measured.
type churnResult struct {
	cpuMs float64       // the collector's CPU per interval
	moves int           // moves made
	took  time.Duration // while the moves ran
}

// churnCPU runs the collector on tree, starts the moves after its first scan, lets one
// interval pass and measures the collector's CPU over the given intervals.
func churnCPU(ctx context.Context, o options, tree string, intervals int) (churnResult, error) {
	var res churnResult
	archives, err := archiveFolders(tree)
	if err != nil {
		return res, err
	}
	work, err := os.MkdirTemp("", "backboneeventbench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(work)
	snk, err := otlpsink.Start(otlpsink.Options{})
	if err != nil {
		return res, err
	}
	defer snk.Close()
	port, err := selfmetrics.FreePort()
	if err != nil {
		return res, err
	}
	receiver := collectoryaml.Receiver{Directory: tree, Interval: o.churnInterval,
		Extra: fmt.Sprintf("    archive_interval: %s\n", o.churnArchiveInterval)}
	col, err := startCollector(ctx, o.collector, work, collectorConfig(receiver, snk.URL, port))
	if err != nil {
		return res, err
	}
	defer col.stop()
	// The first scan lists every archive/ of the tree.
	if err := col.waitFirstMetrics(ctx, snk, 2*time.Minute); err != nil {
		return res, err
	}
	start := time.Now()
	stopMoves := moveIntoArchives(archives, o.churnRate)
	res.cpuMs, err = cpuPerInterval(ctx, col.cmd.Process.Pid, o.churnInterval, intervals)
	res.moves, res.took = stopMoves(), time.Since(start)
	return res, err
}

// cpuPerInterval lets one interval pass, so that the measure starts in the steady state,
// then returns a process's CPU per interval, in ms, over n intervals.
func cpuPerInterval(ctx context.Context, pid int, interval time.Duration, n int) (float64, error) {
	if !wait.Sleep(ctx, interval) {
		return 0, ctx.Err()
	}
	percent, err := cpuPercent(ctx, pid, time.Duration(n)*interval)
	return percent / 100 * float64(interval.Milliseconds()), err
}

// archiveFolders returns every connector's RECEIVE/archive folder of a tree
// (<group>/<integration>/<connector>/RECEIVE), created where missing: the moves need one in
// every connector, empty or not.
func archiveFolders(tree string) ([]string, error) {
	receives, err := filepath.Glob(filepath.Join(tree, "*", "*", "*", "RECEIVE"))
	if err != nil {
		return nil, err
	}
	if len(receives) == 0 {
		return nil, errors.New(tree + " has no connector with a RECEIVE folder")
	}
	archives := make([]string, 0, len(receives))
	for _, r := range receives {
		a := filepath.Join(r, "archive")
		if err := os.MkdirAll(a, 0o755); err != nil {
			return nil, err
		}
		archives = append(archives, a)
	}
	return archives, nil
}

// moveIntoArchives writes a message beside an archive, in RECEIVE/, and renames it into
// archive/, as Backbone archives a processed message: rate times a second, round robin over
// archives, until the returned stop is called, which returns the moves made. The names hold
// the start time, so that a later run on the same tree never moves onto an existing file.
func moveIntoArchives(archives []string, rate int) (stop func() int) {
	done := make(chan struct{})
	ended := make(chan int)
	go func() {
		start := time.Now()
		t := time.NewTicker(time.Second / time.Duration(rate))
		defer t.Stop()
		moved := 0
		for i := 0; ; {
			select {
			case <-done:
				ended <- moved
				return
			case <-t.C:
			}
			// Catch up when the moves fell behind a tick: the rate holds.
			for due := int(time.Since(start).Seconds() * float64(rate)); i < due; i++ {
				archive := archives[i%len(archives)]
				name := fmt.Sprintf("moved-%d-%d.bac", start.UnixNano(), i)
				in := filepath.Join(filepath.Dir(archive), name)
				if os.WriteFile(in, []byte("message"), 0o644) == nil && os.Rename(in, filepath.Join(archive, name)) == nil {
					moved++
				}
			}
		}
	}()
	return func() int { close(done); return <-ended }
}
