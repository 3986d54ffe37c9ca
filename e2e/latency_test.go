package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/latency"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
)

// TestE2EEventLatency drops messages into RECEIVE/error/<issue>/ and SEND/error/ of the
// simulator's tree and removes them again, with collection_interval 60s, and measures when
// each record reaches an OTLP sink: with notification the issue's target is 2 s, without it
// events_poll_interval + 1 s. The test waits well below the interval, so it fails if events
// came only with the full scan; it logs the latencies and does not assert them.
func TestE2EEventLatency(t *testing.T) {
	e2eproc.CollectorBinary(t)
	tests := []struct {
		desc   string
		notify bool
		poll   time.Duration
		target time.Duration
	}{
		{desc: "notified", notify: true, poll: 5 * time.Second, target: 2 * time.Second},
		{desc: "polled", notify: false, poll: 2 * time.Second, target: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			sim, base := newSim(t, filepath.Join(t.TempDir(), "backbone-issue-sync"), "")
			sink, err := otlpsink.Start(otlpsink.Options{})
			require.NoError(t, err)
			t.Cleanup(sink.Close)
			cfgPath := filepath.Join(t.TempDir(), "config.yaml")
			// collection_interval far longer than the test's waits: every event it sees came
			// between full scans.
			cfg := collectoryaml.Config{
				Receiver: collectoryaml.Receiver{
					Endpoint: base, Username: simUser, Password: simPassword, Directory: sim.Dir(), Interval: time.Minute,
					Extra: fmt.Sprintf("    events_notify: %t\n    events_poll_interval: %s\n", tt.notify, tt.poll),
				},
				Exporter: collectoryaml.Exporter{Endpoint: sink.URL, Compression: "none", Retry: &collectoryaml.Retry{Disabled: true}},
			}
			require.NoError(t, os.WriteFile(cfgPath, []byte(cfg.YAML()), 0o600))
			c := startCollector(t, cfgPath)
			e2eproc.Eventually(t, c, 30*time.Second, "the first scrape's metrics", func() bool { return sink.Counts().MetricsAccepted > 0 })

			const drops = 8
			wait := tt.target + 10*time.Second // generous, yet far below the 60 s interval
			var appeared, resolved []time.Duration
			var paths []string
			for i := range drops {
				folder, issue := backbonesim.FolderSendError, ""
				if i%2 == 0 {
					folder, issue = backbonesim.FolderError, "AP-"+strconv.Itoa(100+i)
				}
				dropped := time.Now()
				path := putMessage(t, sim, "INT-16", "AP-29", folder, issue)
				paths = append(paths, path)
				event := "backbone.message.send_error"
				if folder == backbonesim.FolderError {
					event = "backbone.message.error"
				}
				appeared = append(appeared, waitArrival(t, c, sink, otlpsink.Key(event, path), dropped, wait))
				time.Sleep(phase(i))
			}
			for i, path := range paths {
				removed := time.Now()
				require.NoError(t, sim.RemoveMessage(path))
				resolved = append(resolved, waitArrival(t, c, sink, otlpsink.Key("backbone.message.resolved", path), removed, wait))
				time.Sleep(phase(i))
			}
			t.Logf("%s (events_notify %t, events_poll_interval %s, target %s): appeared %s; resolved %s",
				tt.desc, tt.notify, tt.poll, tt.target, latency.Of(appeared), latency.Of(resolved))
			for key, n := range sink.Accepted() {
				assert.Equal(t, 1, n, "each record once: %s", key)
			}
		})
	}
}

// phase spreads the drops over the poll's phase: a drop right after the previous record
// arrived would always come just after a poll.
func phase(i int) time.Duration { return time.Duration(i%4) * 500 * time.Millisecond }

// waitArrival waits for the record of key and returns how long after since it arrived.
func waitArrival(t *testing.T, c *collector, sink *otlpsink.Sink, key string, since time.Time, wait time.Duration) time.Duration {
	t.Helper()
	var at time.Time
	e2eproc.Eventually(t, c, wait, key, func() bool {
		var n int
		at, n = sink.Arrival(key)
		return n > 0
	})
	return at.Sub(since)
}
