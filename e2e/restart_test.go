package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
)

// TestE2ERestartWithFileStorage stops the collector, changes the tree while it is down and
// starts it again on the same file_storage: no message event may be lost, and none repeated
// except, after a crash, those of the scrape that was in flight.
func TestE2ERestartWithFileStorage(t *testing.T) {
	e2eproc.CollectorBinary(t)
	t.Parallel()

	tests := []struct {
		desc string
		// crash ends the first run with SIGKILL right after a record was written, before the
		// receiver may have saved that it was delivered.
		crash bool
	}{
		{desc: "clean shutdown with SIGTERM"},
		{desc: "crash with SIGKILL", crash: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			dir := filepath.Join(tmp, "backbone-issue-sync")
			sim, base := newSim(t, dir, "")
			cfg := collectorConfig{
				Endpoint: base, Username: simUser, Password: simPassword, Directory: dir,
				StorageDir:  filepath.Join(tmp, "storage"),
				MetricsPath: filepath.Join(tmp, "metrics.jsonl"),
				LogsPath:    filepath.Join(tmp, "logs.jsonl"),
			}
			require.NoError(t, os.MkdirAll(cfg.StorageDir, 0o700))
			first := startCollector(t, writeConfig(t, cfg))
			metrics, logs := newMetricsOutput(cfg.MetricsPath), newLogsOutput(cfg.LogsPath)
			metrics.waitScrapes(t, first, 2)

			e1 := putMessage(t, sim, "INT-16", "AP-29", backbonesim.FolderError, "AP-7")
			s1 := putMessage(t, sim, "INT-16", "PB-30", backbonesim.FolderSequenceError, "")
			x1 := putMessage(t, sim, "INT-17", "AP-39", backbonesim.FolderSendError, "")
			logs.waitFor(t, first,
				otlpsink.Key("backbone.message.error", e1),
				otlpsink.Key("backbone.message.sequence_error", s1),
				otlpsink.Key("backbone.message.send_error", x1),
			)
			// The last message before the stop: its record is the newest one written.
			x2 := putMessage(t, sim, "INT-15", "SP-28", backbonesim.FolderSendError, "")
			logs.waitFor(t, first, otlpsink.Key("backbone.message.send_error", x2))
			if tt.crash {
				first.Kill(t)
			} else {
				require.NoError(t, first.Stop(t), "exit status after SIGTERM; log:\n%s", first.Output())
			}
			logs.poll(t)
			var inFlight []string // what the last batch before the stop reported
			for _, r := range logs.records {
				if r.batch == logs.batches-1 {
					inFlight = append(inFlight, r.key())
				}
			}

			// While the collector is down: two new messages, and one message leaves error/.
			e2 := putMessage(t, sim, "INT-16", "AP-29", backbonesim.FolderError, "AP-8")
			s2 := putMessage(t, sim, "INT-15", "SP-28", backbonesim.FolderSequenceError, "")
			_, err := sim.MoveMessage(e1, backbonesim.FolderArchive, "")
			require.NoError(t, err)

			if tt.crash {
				// A write cut short by the kill would leave half a line: the second run writes
				// to new files so that each file holds whole lines only.
				cfg.MetricsPath = filepath.Join(tmp, "metrics-2.jsonl")
				cfg.LogsPath = filepath.Join(tmp, "logs-2.jsonl")
			}
			second := startCollector(t, writeConfig(t, cfg))
			logs2, metrics2 := logs, metrics
			if tt.crash {
				logs2, metrics2 = newLogsOutput(cfg.LogsPath), newMetricsOutput(cfg.MetricsPath)
			}
			logs2.waitFor(t, second,
				otlpsink.Key("backbone.message.error", e2),
				otlpsink.Key("backbone.message.sequence_error", s2),
				otlpsink.Key("backbone.message.resolved", e1),
			)
			metrics2.waitScrapes(t, second, 3) // time for repeats to show
			require.NoError(t, second.Stop(t), "exit status after SIGTERM; log:\n%s", second.Output())
			logs2.poll(t)

			counts := logs.counts()
			if tt.crash {
				for k, n := range logs2.counts() {
					counts[k] += n
				}
			}
			want := map[string]int{
				otlpsink.Key("backbone.message.error", e1):          1,
				otlpsink.Key("backbone.message.sequence_error", s1): 1,
				otlpsink.Key("backbone.message.send_error", x1):     1,
				otlpsink.Key("backbone.message.send_error", x2):     1,
				otlpsink.Key("backbone.message.error", e2):          1,
				otlpsink.Key("backbone.message.sequence_error", s2): 1,
				otlpsink.Key("backbone.message.resolved", e1):       1,
			}
			all := logs.dump()
			if tt.crash {
				all += "second run:\n" + logs2.dump()
				// Only what the interrupted scrape had written may come again, once.
				for _, k := range inFlight {
					if counts[k] == 2 {
						want[k] = 2
						t.Logf("reported again after the crash, as the scrape in flight: %s", k)
					}
				}
			}
			assert.Equal(t, want, counts, "records by what they report; records in flight at the stop: %v; all records:\n%s",
				slices.Sorted(slices.Values(inFlight)), all)
		})
	}
}
