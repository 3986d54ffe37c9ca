// Package faults runs the built otelcol-backbone binary through the faults a production
// pipeline meets: an exporter that refuses for a while, a memory limiter that refuses, a
// collector killed with SIGKILL in the middle of its scrapes, and the places a secret could
// leak from (its log, the debug exporter, zpages, print-config). Each test starts the Backbone
// simulator in-process on 127.0.0.1 with its tree in a temporary folder, writes the collector's
// configuration, and stops every process it started. The tests skip unless
// BACKBONE_E2E_COLLECTOR names the built collector (`make build`).
package faults

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/backbonesim"
)

// collectorEnv names the variable holding the path of the built collector binary.
const collectorEnv = "BACKBONE_E2E_COLLECTOR"

// interval is the receiver's collection_interval in every test.
const interval = time.Second

// stopTimeout is how long a collector gets to exit after SIGTERM before it is killed.
const stopTimeout = 15 * time.Second

// Credentials of the simulated Jira's monitoring user, distinctive so that a search for them
// in the collector's output cannot match anything by chance.
const (
	simUser     = "monitor"
	simPassword = "faults-Pa55w0rd-7hq2x"
)

// lossesEnv names the variable that also runs the cases showing a pipeline configuration that
// loses records: the reason the examples avoid it. They pass when records are lost.
const lossesEnv = "BACKBONE_FAULTS_LOSSES"

// skipLossDemo skips a case that shows a losing configuration, unless lossesEnv is set.
func skipLossDemo(t *testing.T, why string) {
	t.Helper()
	if why != "" && os.Getenv(lossesEnv) == "" {
		t.Skipf("shows a configuration that loses records (set %s=1 to run it): %s", lossesEnv, why)
	}
}

// collectorBinary returns the collector to test, or skips the test when none is given.
func collectorBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv(collectorEnv)
	if path == "" {
		t.Skipf("%s is not set: run `make build` and set it to the collector binary's absolute path "+
			"(e.g. %s=$PWD/dist/otelcol-backbone/otelcol-backbone) to run the fault tests", collectorEnv, collectorEnv)
	}
	fi, err := os.Stat(path)
	require.NoError(t, err, "%s must name the built collector binary", collectorEnv)
	require.False(t, fi.IsDir(), "%s must name the built collector binary, not a folder", collectorEnv)
	return path
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// collector is one run of the collector binary.
type collector struct {
	cmd    *exec.Cmd
	output *lockedBuffer // stdout and stderr
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, set before done closes
}

// startCollector runs the collector with a config file. When the test ends the process is
// stopped (SIGTERM, then SIGKILL after stopTimeout) and, if the test failed, its output is
// printed under name. env adds variables ("NAME=value") to the test's environment.
func startCollector(t *testing.T, name, configPath string, env ...string) *collector {
	t.Helper()
	cmd := exec.Command(collectorBinary(t), "--config", configPath)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = childProcAttr()
	c := &collector{cmd: cmd, output: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout = c.output
	cmd.Stderr = c.output
	require.NoError(t, cmd.Start())
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		c.stop(t)
		if t.Failed() {
			t.Logf("collector output (%s, %s):\n%s", name, configPath, c.log())
		}
	})
	return c
}

// exited tells whether the process has ended.
func (c *collector) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits; a collector that does not exit in time is killed. It returns
// Wait's error: nil for a clean exit.
func (c *collector) stop(t *testing.T) error {
	t.Helper()
	if c.exited() {
		return c.err
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return c.err
	case <-time.After(stopTimeout):
		t.Errorf("collector did not stop within %s of SIGTERM; killing it", stopTimeout)
		_ = c.cmd.Process.Kill()
		<-c.done
		return c.err
	}
}

// kill ends the process with SIGKILL, as a crash or the OOM killer would, and waits for it.
func (c *collector) kill(t *testing.T) {
	t.Helper()
	if c.exited() {
		return
	}
	require.NoError(t, c.cmd.Process.Kill())
	<-c.done
}

// log returns what the collector has written so far.
func (c *collector) log() string { return c.output.String() }

// freePort asks the kernel for a free port on 127.0.0.1. Another process could take it before
// the collector binds it; the collector would then fail to start and the test says so.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeConfig writes a collector configuration into a temporary folder and returns its path.
func writeConfig(t *testing.T, format string, args ...any) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, fmt.Appendf(nil, format, args...), 0o600))
	return path
}

// eventually polls cond every 100ms until it holds, failing the test after timeout or as soon
// as the collector (when given) has exited.
func eventually(t *testing.T, c *collector, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if c != nil && c.exited() {
			t.Fatalf("collector exited (%v) while waiting for %s", c.err, what)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, timeout)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("test ended while waiting for %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// newSim creates a simulator with the default installation on a tree in a temporary folder and
// serves its API on a free port; it is closed when the test ends. The scenario does not run:
// the tree changes only when the test changes it.
func newSim(t *testing.T) (sim *backbonesim.Sim, dir, base string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "backbone-issue-sync")
	sim, err := backbonesim.New(backbonesim.Options{Dir: dir, Username: simUser, Password: simPassword})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	base, err = sim.Start("127.0.0.1:0")
	require.NoError(t, err)
	return sim, dir, base
}

// putMessage puts a message into a folder through the simulator and returns its path.
func putMessage(t *testing.T, sim *backbonesim.Sim, integration, connector, folder, issue string) string {
	t.Helper()
	path, err := sim.PutMessage(integration, connector, folder, issue)
	require.NoError(t, err)
	return path
}

// waitRequests waits until the simulator has answered n more API requests: the receiver has
// run about n more scrapes (it lists the integrations once per scrape).
func waitRequests(t *testing.T, c *collector, sim *backbonesim.Sim, n int) {
	t.Helper()
	want := sim.Stats().Requests + n
	eventually(t, c, time.Duration(n)*interval+20*time.Second, fmt.Sprintf("%d more API requests", n), func() bool {
		return sim.Stats().Requests >= want
	})
}

// countLines counts the lines of a log that contain every one of parts.
func countLines(log string, parts ...string) int {
	n := 0
	for line := range strings.Lines(log) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}
