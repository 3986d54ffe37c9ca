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

// churnRun is one collector of the churn measurement: the tree it watches and whether it
// keeps archive counts from notifications.
type churnRun struct {
	label  string
	tree   string
	notify bool
}

// churn measures the collector's CPU per collection interval while messages move into
// archive/ folders: with archive counts kept from notifications, with archive/ listed at
// every scan, and on the same layout without archived files, the figure the first must come
// close to. BenchmarkScanBusyArchive (internal/queuetree) measures the same on the scanner
// alone; this runs the built collector, exporter and all.
func churn(ctx context.Context, o options) error {
	runs := []churnRun{
		{"counts kept from notifications (events_notify: true)", o.churnTree, true},
		{"archive/ listed at every scan (events_notify: false)", o.churnTree, false},
		{"the layout without archived files (events_notify: true)", o.churnTreeEmpty, true},
	}
	fmt.Printf("\n== %d moves/s into archive/, collection_interval %s, collector CPU over %d intervals (the moves run in this process: not included)\n",
		o.churnRate, o.churnInterval, o.churnIntervals)
	fmt.Printf("trees: %s (archived files), %s (none)\n", o.churnTree, o.churnTreeEmpty)
	ms := make([]float64, len(runs))
	for i, r := range runs {
		res, err := churnCPU(ctx, o, r.tree, r.notify)
		if err != nil {
			return fmt.Errorf("%s: %w", r.label, err)
		}
		ms[i] = res.cpuMs
		fmt.Printf("%-57s %7.1f ms CPU per interval (%d moves, %.0f/s)\n",
			r.label+":", res.cpuMs, res.moves, float64(res.moves)/res.took.Seconds())
	}
	fmt.Printf("kept / without archived files (target 1.2): %.2f\n", ms[0]/ms[2])
	fmt.Printf("listed / without archived files: %.2f\n", ms[1]/ms[2])
	return nil
}

// churnResult is what one run measured.
type churnResult struct {
	cpuMs float64       // the collector's CPU per interval
	moves int           // moves made
	took  time.Duration // while the moves ran
}

// churnCPU runs the collector on tree, starts the moves after its first scan, lets one
// interval pass and measures the collector's CPU over o.churnIntervals intervals.
func churnCPU(ctx context.Context, o options, tree string, notify bool) (churnResult, error) {
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
	receiver := collectoryaml.Receiver{Directory: tree, Interval: o.churnInterval, Extra: fmt.Sprintf("    events_notify: %t\n", notify)}
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
	res.cpuMs, err = cpuPerInterval(ctx, col.cmd.Process.Pid, o.churnInterval, o.churnIntervals)
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
