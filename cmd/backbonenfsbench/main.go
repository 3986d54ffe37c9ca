//go:build linux

// Command backbonenfsbench measures what polling the watched folders costs where Backbone's
// tree is on a network file system: the built collector reads a tree through nfsfixture (a
// FUSE mount that caches like an NFS client, where change notification misses other
// machines' changes, so every watched folder is polled every events_poll_interval). Over a
// window of quiet polls (nothing changes, no full scan) it reports, per poll, the collector's
// CPU, the requests that reached the share (what an NFS client would send its server; the
// rest its caches answer) and, when strace is on PATH, the collector's system calls.
//
// It needs root and /dev/fuse. Usage (the tree written by cmd/backbonetree):
//
//	backbonenfsbench -collector dist/otelcol-backbone/otelcol-backbone -tree /tmp/t/backbone-issue-sync
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/wait"
	"github.com/otelcol-backbone/otelcol-backbone/internal/nfsfixture"
)

type options struct {
	collector, tree string
	poll, cache     time.Duration
	polls           int
}

func main() {
	var o options
	flag.StringVar(&o.collector, "collector", "", "the built collector")
	flag.StringVar(&o.tree, "tree", "", "a backbone-issue-sync folder (cmd/backbonetree); its parent is mounted")
	flag.DurationVar(&o.poll, "poll", 5*time.Second, "events_poll_interval (the receiver's default)")
	flag.DurationVar(&o.cache, "cache", time.Second, "the mount's attribute and entry cache time (NFS: actimeo)")
	flag.IntVar(&o.polls, "polls", 12, "polls measured, each way (CPU and requests, then system calls)")
	flag.Parse()
	if o.collector == "" || o.tree == "" || o.poll <= 0 || o.polls < 1 {
		fmt.Fprintln(os.Stderr, "backbonenfsbench: -collector and -tree are required; -poll and -polls must be positive")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "backbonenfsbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	work, err := os.MkdirTemp("", "backbonenfsbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	mountDir := filepath.Join(work, "mnt")
	if err := os.Mkdir(mountDir, 0o755); err != nil {
		return err
	}
	mount, err := nfsfixture.Start(mountDir, filepath.Dir(filepath.Clean(o.tree)), nfsfixture.Options{AttrTimeout: o.cache, EntryTimeout: o.cache})
	if err != nil {
		return fmt.Errorf("mount (root and /dev/fuse are needed): %w", err)
	}
	defer mount.Close()
	sink, err := otlpsink.Start(otlpsink.Options{})
	if err != nil {
		return err
	}
	defer sink.Close()

	// collection_interval far beyond the window: what the window measures is polls only.
	cfg := collectoryaml.Config{
		Receiver: collectoryaml.Receiver{
			Directory: filepath.Join(mountDir, filepath.Base(o.tree)), Interval: time.Hour,
			Extra: fmt.Sprintf("    events_poll_interval: %s\n", o.poll),
		},
		Exporter: collectoryaml.Exporter{Endpoint: sink.URL, Compression: "none"},
	}
	cfgPath := filepath.Join(work, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.YAML()), 0o600); err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(work, "collector.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(o.collector, "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	pid := cmd.Process.Pid

	if err := wait.For(context.Background(), 5*time.Minute, func() bool { return sink.Counts().MetricsAccepted > 0 }); err != nil {
		return errors.New("no first scan within 5 minutes")
	}
	time.Sleep(2 * o.poll) // the first polls after the scan's watches are set
	window := time.Duration(o.polls) * o.poll

	cpu0, err := cpuSeconds(pid)
	if err != nil {
		return err
	}
	req0 := mount.Requests()
	time.Sleep(window)
	cpu1, err := cpuSeconds(pid)
	if err != nil {
		return err
	}
	req1 := mount.Requests()
	per := func(n int64) float64 { return float64(n) / float64(o.polls) }
	fmt.Printf("tree %s, events_poll_interval %s, mount cache %s, %d quiet polls\n", o.tree, o.poll, o.cache, o.polls)
	fmt.Printf("  collector CPU per poll: %.1f ms\n", (cpu1-cpu0)*1000/float64(o.polls))
	fmt.Printf("  requests to the share per poll: lookup %.0f, getattr %.0f, opendir %.0f\n",
		per(req1.Lookup-req0.Lookup), per(req1.Getattr-req0.Getattr), per(req1.Opendir-req0.Opendir))

	if _, err := exec.LookPath("strace"); err != nil {
		fmt.Println("  system calls: strace is not on PATH")
		return nil
	}
	calls, err := straceCounts(pid, window)
	if err != nil {
		return err
	}
	fmt.Printf("  system calls per poll: %.0f in all", per(calls["total"]))
	for _, name := range []string{"getdents64", "newfstatat", "openat", "close", "fstat", "statfs", "inotify_add_watch"} {
		if n := calls[name]; n > 0 {
			fmt.Printf(", %s %.0f", name, per(n))
		}
	}
	fmt.Println()
	return nil
}

// straceCounts counts pid's system calls, all its threads, over window (strace -c).
func straceCounts(pid int, window time.Duration) (map[string]int64, error) {
	out, err := os.CreateTemp("", "strace")
	if err != nil {
		return nil, err
	}
	out.Close()
	defer os.Remove(out.Name())
	cmd := exec.Command("strace", "-c", "-f", "-q", "-o", out.Name(), "-p", strconv.Itoa(pid))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	time.Sleep(window)
	_ = cmd.Process.Signal(os.Interrupt)
	// strace writes its summary on SIGINT, then dies of it.
	if err := cmd.Wait(); err != nil && !errors.As(err, new(*exec.ExitError)) {
		return nil, fmt.Errorf("strace: %w", err)
	}
	f, err := os.Open(out.Name())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Rows: % time, seconds, usecs/call, calls, [errors,] syscall; the last row is "total".
	calls := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		if n, err := strconv.ParseInt(fields[3], 10, 64); err == nil {
			calls[fields[len(fields)-1]] = n
		}
	}
	if calls["total"] == 0 {
		return nil, errors.New("strace gave no summary (is ptrace allowed?)")
	}
	return calls, sc.Err()
}

// cpuSeconds returns the user and system CPU time a process has used.
func cpuSeconds(pid int) (float64, error) {
	const clockTicks = 100 // the unit of utime and stime (USER_HZ)
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks, nil
}
