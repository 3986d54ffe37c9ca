//go:build linux

package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/selfmetrics"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/wait"
)

// storageIssues is how many issue folders of error/ the messages are spread over.
const storageIssues = 200

// storage measures what the receiver's saved state costs while new messages arrive in
// error/: the bytes the collector writes to storage a second, the growth of the
// file_storage folder and the collector's CPU, with o.storageKnown messages already in
// error/ and with none, folders only (no API), receiver defaults otherwise.
func storage(ctx context.Context, o options) error {
	fmt.Printf("\n== %d new messages/s into error/ for %s, state on file_storage, folders only\n", o.storageRate, o.storageFor)
	var cpu [2]float64
	for i, known := range []int{o.storageKnown, 0} {
		res, err := storageCost(ctx, o, known)
		if err != nil {
			return fmt.Errorf("%d messages in error/: %w", known, err)
		}
		cpu[i] = res.cpu
		fmt.Printf("%6d messages in error/: storage bytes written per second %.1f KiB/s, file_storage grew %d KiB (to %d KiB), CPU %.2f%% of one core; %d records, %d missing\n",
			known, res.written/1024, res.grew/1024, res.size/1024, res.cpu, res.records, res.missing)
	}
	fmt.Printf("CPU with %d messages / with none (target 2): %.2f\n", o.storageKnown, cpu[0]/cpu[1])
	return nil
}

// storageResult is what one storage run measured.
type storageResult struct {
	written          float64 // bytes the collector wrote to disk a second (write_bytes)
	grew, size       int64   // of the file_storage folder, in bytes
	cpu              float64 // percent of one core
	records, missing int
}

// storageCost runs the collector on a tree with known messages in error/, lets its first
// tick save them, then puts o.storageRate new messages a second for o.storageFor and
// measures until their records have arrived.
func storageCost(ctx context.Context, o options, known int) (storageResult, error) {
	var res storageResult
	work, err := os.MkdirTemp("", "backboneeventbench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(work)
	tree := filepath.Join(work, "backbone-issue-sync")
	connector := filepath.Join(tree, "default", "INT-1", "AP-1")
	errDir := filepath.Join(connector, "RECEIVE", "error")
	for _, dir := range []string{filepath.Join(connector, "SEND"), errDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return res, err
		}
	}
	for i := range known {
		if err := putError(errDir, fmt.Sprintf("old-%06d.bac", i), i); err != nil {
			return res, err
		}
	}
	state := filepath.Join(work, "storage")
	if err := os.Mkdir(state, 0o755); err != nil {
		return res, err
	}
	snk, err := otlpsink.Start(otlpsink.Options{})
	if err != nil {
		return res, err
	}
	defer snk.Close()
	port, err := selfmetrics.FreePort()
	if err != nil {
		return res, err
	}
	config := collectoryaml.Config{
		Receiver:  collectoryaml.Receiver{Directory: tree, Interval: defaultInterval, Extra: "    storage: file_storage\n"},
		Exporter:  collectoryaml.Exporter{Endpoint: snk.URL, Compression: "none"},
		Storage:   state,
		Telemetry: selfmetrics.TelemetryYAML(port),
	}.YAML()
	col, err := startCollector(ctx, o.collector, work, config)
	if err != nil {
		return res, err
	}
	defer col.stop()
	pid := col.cmd.Process.Pid
	if err := col.waitFirstMetrics(ctx, snk, 2*time.Minute); err != nil {
		return res, err
	}
	// The record of a message put after the first tick's scan comes once that tick has
	// saved the messages present.
	if err := putError(errDir, "first.bac", 0); err != nil {
		return res, err
	}
	if _, err := waitArrival(ctx, snk, otlpsink.Key("backbone.message.error", filepath.Join(errDir, issueOf(0), "first.bac")), time.Now(), 2*time.Minute); err != nil {
		return res, fmt.Errorf("%w (log: %s)", err, col.log.Name())
	}
	wait.Sleep(ctx, time.Second)

	sizeBefore, err := folderSize(state)
	if err != nil {
		return res, err
	}
	writtenBefore, err := writeBytes(pid)
	if err != nil {
		return res, err
	}
	cpuBefore, err := cpuSeconds(pid)
	if err != nil {
		return res, err
	}
	start := time.Now()
	var keys []string
	tick := time.NewTicker(time.Second / time.Duration(o.storageRate))
	for time.Since(start) < o.storageFor {
		select {
		case <-ctx.Done():
			tick.Stop()
			return res, ctx.Err()
		case <-tick.C:
		}
		name := fmt.Sprintf("new-%06d.bac", len(keys))
		if err := putError(errDir, name, len(keys)); err != nil {
			tick.Stop()
			return res, err
		}
		keys = append(keys, otlpsink.Key("backbone.message.error", filepath.Join(errDir, issueOf(len(keys)), name)))
	}
	tick.Stop()
	for _, key := range keys {
		if _, err := waitArrival(ctx, snk, key, start, 10*time.Second); err != nil {
			res.missing++
		}
	}
	took := time.Since(start)
	cpuAfter, err := cpuSeconds(pid)
	if err != nil {
		return res, err
	}
	writtenAfter, err := writeBytes(pid)
	if err != nil {
		return res, err
	}
	if res.size, err = folderSize(state); err != nil {
		return res, err
	}
	res.grew = res.size - sizeBefore
	res.written = float64(writtenAfter-writtenBefore) / took.Seconds()
	res.cpu = 100 * (cpuAfter - cpuBefore) / took.Seconds()
	res.records = len(keys)
	return res, nil
}

func issueOf(i int) string { return fmt.Sprintf("AP-%d", 1+i%storageIssues) }

// putError writes message name into the issue folder of error/ that i falls in, beside it
// first and renamed in, as Backbone moves a message that failed.
func putError(errDir, name string, i int) error {
	dir := filepath.Join(errDir, issueOf(i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(errDir), name)
	if err := os.WriteFile(tmp, []byte("message"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, name))
}

// folderSize returns the bytes of the files in dir.
func folderSize(dir string) (int64, error) {
	var size int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		size += info.Size()
		return err
	})
	return size, err
}

// writeBytes returns the bytes a process caused to be written to storage (write_bytes of
// /proc/<pid>/io): the state, and the collector's log, which stays small.
func writeBytes(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "write_bytes:"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("no write_bytes in /proc/%d/io", pid)
}
