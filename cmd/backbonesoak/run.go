//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/selfmetrics"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/wait"
)

// Simulated Jira's monitoring user.
const (
	simUser     = "monitor"
	simPassword = "soak-Pa55w0rd-z81q"
)

// run is the whole soak; it returns the exit status.
func run(ctx context.Context, o options) (int, error) {
	work, err := os.MkdirTemp("", "backbonesoak-")
	if err != nil {
		return 1, err
	}
	if o.keep {
		fmt.Println("work folder (kept):", work)
	} else {
		defer os.RemoveAll(work)
	}
	// Readable by the collector's user; the tree's own folders are created 0755.
	if err := os.Chmod(work, 0o755); err != nil {
		return 1, err
	}
	treeDir := filepath.Join(work, "backbone-issue-sync")
	storageDir := filepath.Join(work, "storage")
	cred, userName, err := credential(o.runAs)
	if err != nil {
		return 1, err
	}
	bin := o.collector
	if cred != nil {
		bin = filepath.Join(work, "otelcol-backbone")
		if err := copyExecutable(o.collector, bin); err != nil {
			return 1, err
		}
	}
	if err := os.Mkdir(storageDir, 0o700); err != nil {
		return 1, err
	}
	if cred != nil {
		if err := os.Chown(storageDir, int(cred.Uid), int(cred.Gid)); err != nil {
			return 1, err
		}
	}

	sim, err := backbonesim.New(backbonesim.Options{
		Dir: treeDir, Username: simUser, Password: simPassword, Seed: o.seed, Speed: o.speed, Tick: time.Second,
	})
	if err != nil {
		return 1, err
	}
	defer sim.Close()
	if err := addIntegrations(sim, o.integrations); err != nil {
		return 1, err
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return 1, err
	}
	snk, err := otlpsink.Start(otlpsink.Options{})
	if err != nil {
		return 1, err
	}
	defer snk.Close()
	telemetryPort, err := selfmetrics.FreePort()
	if err != nil {
		return 1, err
	}
	configPath := filepath.Join(work, "config.yaml")
	if err := os.WriteFile(configPath, []byte(collectorConfig(base, treeDir, storageDir, snk.URL, o.interval, telemetryPort)), 0o644); err != nil {
		return 1, err
	}

	simCtx, stopSim := context.WithCancel(ctx)
	var simDone sync.WaitGroup
	simDone.Go(func() { _ = sim.Run(simCtx) })
	defer func() { stopSim(); simDone.Wait() }()

	who := "the same user as the driver"
	if cred != nil {
		who = fmt.Sprintf("user %s (uid %d), without write permission on the tree", userName, cred.Uid)
	}
	fmt.Printf("soak: %s of churn, %d+3 integrations, %.3g simulator steps/s, %.3g error messages/s, collection_interval %s, seed %d\n",
		o.duration, o.integrations, o.speed, o.events, o.interval, o.seed)
	fmt.Printf("collector: %s, run as %s\n", o.collector, who)
	fmt.Printf("goroutines: counted in the Go scheduler's trace (GODEBUG=schedtrace,scheddetail): the collector's own telemetry has no goroutine metric at this release\n")
	fmt.Printf("live heap: mean heap still live after the garbage collections of each sample (GODEBUG=gctrace=1); heap: otelcol_process_runtime_heap_alloc_bytes\n\n")

	col, err := startCollector(bin, configPath, work, filepath.Join(work, "collector.log"), cred, o.sample)
	if err != nil {
		return 1, err
	}
	started := time.Now()
	var ready time.Time // the first metrics arrived: the pipelines run
	defer func() {
		if !col.exited() {
			col.stop(20 * time.Second)
		}
	}()
	if err := wait.For(ctx, 60*time.Second, func() bool { return snk.Counts().MetricsAccepted > 0 || col.exited() }); err != nil || col.exited() {
		return 1, fmt.Errorf("no metrics from the collector within a minute (exited: %v %v); see %s", col.exited(), col.err, filepath.Join(work, "collector.log"))
	}
	ready = time.Now()

	// The churn.
	ch := &churn{
		sim: sim, sink: snk, rng: rand.New(rand.NewPCG(o.seed, 0x50a4)), n: max(o.integrations, 1),
		dwell: 3*o.interval + 7*time.Second, faults: map[string]int{},
	}
	churnCtx, stopChurn := context.WithTimeout(ctx, o.duration)
	defer stopChurn()
	var churning sync.WaitGroup
	if o.integrations > 0 {
		churning.Go(func() { ch.messages(churnCtx, o.events) })
		churning.Go(func() { ch.states(churnCtx) })
	}
	churning.Go(func() { ch.apiFaults(churnCtx, o.faultEvery, o.faultFor) })
	churning.Go(func() { ch.sinkFlaps(churnCtx, o.sinkFlap) })
	churning.Go(func() { ch.pruneArchive(churnCtx, treeDir) })

	fmt.Println(tableHeader)
	var samples []sample
	prev := sample{}
	tick := time.NewTicker(o.sample)
	for running := true; running; {
		select {
		case <-churnCtx.Done():
			running = false
			continue
		case <-tick.C:
		}
		if col.exited() {
			break
		}
		s := takeSample(col, telemetryPort, storageDir, treeDir, sim, snk, started, ready)
		fmt.Println(s.row(prev))
		samples = append(samples, s)
		prev = s
	}
	tick.Stop()
	stopChurn()
	churning.Wait()
	stopSim()
	simDone.Wait()
	if ctx.Err() != nil {
		return 1, ctx.Err()
	}
	if col.exited() {
		return 1, fmt.Errorf("the collector exited during the soak: %v; see %s", col.err, filepath.Join(work, "collector.log"))
	}

	// Let the collector report what the churn left, then check the quiet tree.
	want, churnErr := ch.result()
	_ = wait.For(ctx, 90*time.Second, func() bool {
		got := snk.Accepted()
		return !slices.ContainsFunc(want, func(k string) bool { return got[k] == 0 })
	})
	tree := checkQuietTree(ctx, treeDir, sim, snk, o.interval, cred)

	exitErr, clean := col.stop(20 * time.Second)
	levels, messages := col.out.logSummary()

	// Report.
	fmt.Println()
	fmt.Println("sink:", sinkSummary(snk))
	fmt.Printf("driver: %d messages put, %d resolved, %d state toggles, API faults %v, %d backend refusals of 3s, %d archived files pruned\n",
		ch.puts, ch.resolves, ch.toggles, ch.faults, ch.flaps, ch.pruned)
	failed := false
	if churnErr != nil {
		fmt.Println("driver errors:", churnErr)
		failed = true
	}
	gaps, repeats, unexpected := compare(want, snk.Accepted())
	fmt.Printf("message events of the driver: %d expected, %d missing, %d repeated, %d unexplained\n",
		len(want), len(gaps), len(repeats), len(unexpected))
	for _, list := range [][]string{gaps, repeats, unexpected} {
		for i, k := range list {
			if i == 10 {
				fmt.Printf("  ... %d more\n", len(list)-10)
				break
			}
			fmt.Println("  ", k)
		}
	}
	failed = failed || len(gaps)+len(repeats)+len(unexpected) > 0
	fmt.Println("tree:", tree.summary)
	failed = failed || !tree.ok
	fmt.Printf("collector: exit after SIGTERM %v (clean: %v); log lines by level %v\n", exitErr, clean, levels)
	for _, k := range slices.Sorted(maps.Keys(messages)) {
		fmt.Printf("  %5d  %s\n", messages[k], k)
	}
	failed = failed || exitErr != nil || !clean

	fmt.Println()
	flat := true
	for _, tr := range trends(samples) {
		verdict := "flat"
		if !tr.flat {
			verdict, flat = "GROWING", false
		}
		fmt.Printf("%-11s first third %8.1f  last third %8.1f  %s\n", tr.name, tr.first, tr.last, verdict)
	}
	switch {
	case failed:
		fmt.Println("verdict: FAILED")
		return 1, nil
	case len(samples) < 3:
		fmt.Println("verdict: too few samples for a trend; run longer")
		return 2, nil
	case !flat:
		fmt.Println("verdict: NOT FLAT")
		return 2, nil
	}
	fmt.Println("verdict: flat; every event once; tree untouched")
	return 0, nil
}

func (c *churn) result() ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.want), errors.Join(c.errs...)
}

// takeSample measures the collector and what surrounds it.
// Goroutines come from the last scheduler trace taken once the pipelines ran.
func takeSample(col *collector, telemetryPort int, storageDir, treeDir string, sim *backbonesim.Sim, snk *otlpsink.Sink, started, ready time.Time) sample {
	s := sample{at: time.Since(started), goroutines: col.out.lastGoroutines(ready)}
	if rss, threads, err := procStatus(col.pid()); err == nil {
		s.rssMiB, s.threads = float64(rss)/1024, threads
	}
	s.fds, _ = openFDs(col.pid())
	s.liveMiB, s.gcs = col.out.liveHeap()
	if m, err := selfmetrics.Read(telemetryPort); err == nil {
		s.heapMiB = m["otelcol_process_runtime_heap_alloc_bytes"] / (1 << 20)
		s.cpuSeconds = m["otelcol_process_cpu_seconds"]
	}
	size, _ := dirSize(storageDir)
	s.storageKiB = float64(size) / 1024
	_, s.treeFiles = dirSize(treeDir)
	s.scrapes = sim.Stats().Requests
	c := snk.Counts()
	s.records, s.metricsReqs = c.Records, c.MetricsAccepted
	return s
}

// compare checks the sink's counts of the driver's records: each expected key once, and no
// record of a driver integration that no change explains.
func compare(want []string, got map[string]int) (gaps, repeats, unexpected []string) {
	wanted := map[string]bool{}
	for _, k := range want {
		wanted[k] = true
		switch n := got[k]; {
		case n == 0:
			gaps = append(gaps, "missing: "+k)
		case n > 1:
			repeats = append(repeats, fmt.Sprintf("repeated %d times: %s", n, k))
		}
	}
	for k := range got {
		if strings.Contains(k, string(filepath.Separator)+"SOAK-") && !wanted[k] {
			unexpected = append(unexpected, "unexplained: "+k)
		}
	}
	slices.Sort(unexpected)
	return gaps, repeats, unexpected
}

// sinkSummary describes what the sink received.
func sinkSummary(snk *otlpsink.Sink) string {
	byEvent := map[string]int{}
	for k, n := range snk.Accepted() {
		event, _, _ := strings.Cut(k, " ")
		byEvent[event] += n
	}
	c := snk.Counts()
	return fmt.Sprintf("%d metrics requests (%d data points), %d logs requests, %d refused requests; "+
		"%d message records %v, %d state-change records",
		c.MetricsAccepted, c.DataPoints, c.LogsAccepted, c.LogsRefused+c.MetricsRefused, c.Records, byEvent, c.Others)
}
