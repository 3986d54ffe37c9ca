//go:build linux

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/latency"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/selfmetrics"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/wait"
)

// Credentials of the simulated Jira's monitoring user.
const (
	simUser     = "monitor"
	simPassword = "bench-secret"
)

// collectorConfig is the collector's configuration: the receiver's block, both pipelines
// straight to the sink, and the telemetry block that serves its own metrics, read for the heap
// outside the quiet window.
func collectorConfig(receiver collectoryaml.Receiver, sinkURL string, telemetryPort int) string {
	return collectoryaml.Config{
		Receiver:  receiver,
		Exporter:  collectoryaml.Exporter{Endpoint: sinkURL, Compression: "none"},
		Telemetry: selfmetrics.TelemetryYAML(telemetryPort),
	}.YAML()
}

// defaultInterval is the receiver's default collection_interval, which the block must name.
const defaultInterval = time.Minute

// arrivalWait bounds the wait for one record: longer than a collection interval, so that a
// record missed between scans still shows, as a latency near the interval.
const arrivalWait = 75 * time.Second

// measure runs one collector, with or without notification, and prints its figures.
func measure(ctx context.Context, o options, notify bool) error {
	work, err := os.MkdirTemp("", "backboneeventbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	sim, err := backbonesim.New(backbonesim.Options{Dir: filepath.Join(work, "backbone-issue-sync"), Username: simUser, Password: simPassword, Seed: o.seed})
	if err != nil {
		return err
	}
	defer sim.Close()
	slots, err := addIntegrations(sim, o.integrations)
	if err != nil {
		return err
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	snk, err := otlpsink.Start(otlpsink.Options{})
	if err != nil {
		return err
	}
	defer snk.Close()
	port, err := selfmetrics.FreePort()
	if err != nil {
		return err
	}
	// The receiver's defaults, but for events_notify.
	receiver := collectoryaml.Receiver{
		Endpoint: base, Username: simUser, Password: simPassword, Directory: sim.Dir(), Interval: defaultInterval,
		Extra: fmt.Sprintf("    events_notify: %t\n", notify),
	}
	col, err := startCollector(ctx, o.collector, work, collectorConfig(receiver, snk.URL, port))
	if err != nil {
		return err
	}
	defer col.stop()
	pid := col.cmd.Process.Pid

	fmt.Printf("\n== %d integrations (%d connectors), defaults, events_notify: %t\n", o.integrations+3, len(slots), notify)
	if err := col.waitFirstMetrics(ctx, snk, 60*time.Second); err != nil {
		return err
	}
	wait.Sleep(ctx, 5*time.Second) // let start-up work settle
	cpu, err := cpuPercent(ctx, pid, o.idle)
	if err != nil {
		return err
	}
	fmt.Printf("idle CPU over %s: %.2f%% of one core (target < 1%%)\n", o.idle, cpu)

	rng := rand.New(rand.NewPCG(o.seed, 2))
	appeared, resolved, err := dropOneByOne(ctx, sim, snk, slots, rng, o.drops)
	if err != nil {
		return err
	}
	fmt.Printf("event latency, file appears -> record at the backend: %s\n", appeared)
	fmt.Printf("event latency, file leaves -> resolved record at the backend: %s\n", resolved)

	if notify && o.load > 0 {
		return steadyLoad(ctx, sim, snk, slots, rng, pid, port, o)
	}
	return nil
}

// dropOneByOne drops messages at random moments, 0.2 to 1.2 s apart, then removes them
// likewise, and summarises how late each record arrived. The moments do not wait for the
// records, so that they fall anywhere in the poll's period.
func dropOneByOne(ctx context.Context, sim *backbonesim.Sim, snk *otlpsink.Sink, slots []slot, rng *rand.Rand, n int) (appeared, resolved latency.Summary, err error) {
	var drops, removals []placed
	for range n {
		wait.Sleep(ctx, time.Duration(200+rng.IntN(1000))*time.Millisecond)
		at := time.Now()
		path, key, err := slots[rng.IntN(len(slots))].put(sim, rng)
		if err != nil {
			return appeared, resolved, err
		}
		drops = append(drops, placed{path: path, key: key, at: at})
	}
	up, err := arrivalDelays(ctx, snk, drops)
	if err != nil {
		return appeared, resolved, err
	}
	for _, d := range drops {
		wait.Sleep(ctx, time.Duration(200+rng.IntN(1000))*time.Millisecond)
		at := time.Now()
		if err := sim.RemoveMessage(d.path); err != nil {
			return appeared, resolved, err
		}
		removals = append(removals, placed{path: d.path, key: otlpsink.Key("backbone.message.resolved", d.path), at: at})
	}
	down, err := arrivalDelays(ctx, snk, removals)
	if err != nil {
		return appeared, resolved, err
	}
	return latency.Of(up), latency.Of(down), nil
}

// arrivalDelays waits for the record of each placed message and returns how late each arrived.
func arrivalDelays(ctx context.Context, snk *otlpsink.Sink, ps []placed) ([]time.Duration, error) {
	out := make([]time.Duration, 0, len(ps))
	for _, p := range ps {
		d, err := waitArrival(ctx, snk, p.key, p.at, arrivalWait)
		if err != nil {
			return nil, err
		}
		out = append(out, d.Round(100*time.Microsecond))
	}
	return out, nil
}

// collector is a running collector process.
type collector struct {
	cmd *exec.Cmd
	log *os.File
}

// startCollector writes config to work/config.yaml and starts the collector on it, its
// output in work/collector.log, which an error names.
func startCollector(ctx context.Context, binary, work, config string) (*collector, error) {
	configPath := filepath.Join(work, "config.yaml")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(work, "collector.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, binary, "--config", configPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	return &collector{cmd: cmd, log: logFile}, nil
}

// waitFirstMetrics waits for the collector's first metrics request at snk: its first scan is done.
func (c *collector) waitFirstMetrics(ctx context.Context, snk *otlpsink.Sink, timeout time.Duration) error {
	if err := wait.For(ctx, timeout, func() bool { return snk.Counts().MetricsAccepted > 0 }); err != nil {
		return fmt.Errorf("no metrics from the first scan: %w (log: %s)", err, c.log.Name())
	}
	return nil
}

// stop ends the collector with SIGTERM and waits for it.
func (c *collector) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	_ = c.cmd.Wait()
	c.log.Close()
}
