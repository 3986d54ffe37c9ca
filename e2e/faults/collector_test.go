// Package faults runs the built otelcol-backbone binary through the faults a production
// pipeline meets: an exporter that refuses for a while, a memory limiter that refuses, a
// collector killed with SIGKILL in the middle of its scrapes, and the places a secret could
// leak from (its log, the debug exporter, zpages, print-config). Each test starts the Backbone
// simulator in-process on 127.0.0.1 with its tree in a temporary folder, writes the collector's
// configuration, and stops every process it started. The tests skip unless
// BACKBONE_E2E_COLLECTOR names the built collector (`make build`).
package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
)

// interval is the receiver's collection_interval in every test.
const interval = time.Second

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

// collector is one run of the collector binary.
type collector = e2eproc.Process

// startCollector runs the collector with a config file. When the test ends the process is
// stopped (SIGTERM, then SIGKILL after e2eproc.StopTimeout) and, if the test failed, its output
// is printed under name. env adds variables ("NAME=value") to the test's environment.
func startCollector(t *testing.T, name, configPath string, env ...string) *collector {
	t.Helper()
	return e2eproc.StartEnv(t, context.Background(), "collector ("+name+")", e2eproc.CollectorBinary(t), env, "--config", configPath)
}

// writeConfig writes a collector configuration into a temporary folder and returns its path.
func writeConfig(t *testing.T, cfg collectoryaml.Config) string {
	t.Helper()
	return writeFile(t, cfg.YAML())
}

// writeFile writes a collector configuration file into a temporary folder and returns its path.
func writeFile(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	return path
}

// receiver is the backbone receiver's block for the simulator at base; extra lines (indented
// by four spaces) are appended to it.
func receiver(base, dir, extra string) collectoryaml.Receiver {
	return collectoryaml.Receiver{
		Endpoint: base, Username: simUser, Password: simPassword, Directory: dir, Interval: interval, Extra: extra,
	}
}

// limiterAndBatch is the processors block of the examples' pipelines: a memory limiter, and
// the batch processor they once had before a persistent queue.
const limiterAndBatch = `  memory_limiter:
    check_interval: 1s
    limit_mib: 512
    spike_limit_mib: 128
  batch:
`

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

// changeDuring changes the tree while the pipeline cannot deliver: it resolves the message at
// resolve, then in each of rounds scrapes puts an error, a send error and a sequence error,
// and finally resolves the first error (short), which the receiver saw in between. It returns
// the keys of the records the changes must bring.
func changeDuring(t *testing.T, c *collector, sim *backbonesim.Sim, resolve string, rounds int) (during []string, short string) {
	t.Helper()
	_, err := sim.MoveMessage(resolve, backbonesim.FolderArchive, "")
	require.NoError(t, err)
	during = append(during, messageKey("backbone.message.resolved", resolve))
	for i := range rounds {
		e := putMessage(t, sim, "INT-16", "AP-29", backbonesim.FolderError, fmt.Sprintf("AP-%d", 10+i))
		x := putMessage(t, sim, "INT-17", "AP-39", backbonesim.FolderSendError, "")
		q := putMessage(t, sim, "INT-15", "SP-28", backbonesim.FolderSequenceError, "")
		during = append(during,
			messageKey("backbone.message.error", e),
			messageKey("backbone.message.send_error", x),
			messageKey("backbone.message.sequence_error", q))
		if i == 0 {
			short = e
		}
		waitRequests(t, c, sim, 1)
	}
	_, err = sim.MoveMessage(short, backbonesim.FolderArchive, "")
	require.NoError(t, err)
	during = append(during, messageKey("backbone.message.resolved", short))
	waitRequests(t, c, sim, 2)
	return during, short
}

// waitRequests waits until the simulator has answered n more API requests: the receiver has
// run about n more scrapes (it lists the integrations once per scrape).
func waitRequests(t *testing.T, c *collector, sim *backbonesim.Sim, n int) {
	t.Helper()
	want := sim.Stats().Requests + n
	e2eproc.Eventually(t, c, time.Duration(n)*interval+20*time.Second, fmt.Sprintf("%d more API requests", n), func() bool {
		return sim.Stats().Requests >= want
	})
}
