package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
)

// burst is how many messages fail at once in TestFaultsBurst: a partner Jira rejecting a
// bulk change.
const burst = 20_000

// TestFaultsBurst drops 20,000 error messages into the tree at once and checks that each
// event reaches a backend that refuses requests over 1 MB exactly once, in the order the
// messages failed, in requests of at most max_events_per_request records, through a
// persistent sending queue with one consumer (more consumers send requests side by side
// and may reorder them); once with the backend up, once with it down for a while first.
func TestFaultsBurst(t *testing.T) {
	e2eproc.CollectorBinary(t)
	t.Parallel()
	for _, down := range []bool{false, true} {
		t.Run(fmt.Sprintf("backend down first: %t", down), func(t *testing.T) {
			t.Parallel()
			_, dir, base := newSim(t)
			s := newSink(t)
			s.SetMaxBytes(1_000_000)
			cfg := writeConfig(t, collectoryaml.Config{
				Receiver: receiver(base, dir, "    storage: file_storage\n"),
				Exporter: collectoryaml.Exporter{
					Endpoint: s.URL, Compression: "none", Timeout: 5 * time.Second,
					Queue: &collectoryaml.Queue{Persistent: true, Consumers: 1},
					Retry: &collectoryaml.Retry{Initial: 200 * time.Millisecond, Max: time.Second},
				},
				Storage: t.TempDir(),
			})
			c := startCollector(t, "burst", cfg)
			s.waitMetrics(t, c, 2)
			if down {
				s.SetDown(true)
			}

			// Every message failed a millisecond after the one before it, in 200 issues. They
			// are written beside the tree and appear in one rename, so that one scan finds them
			// all: messages that trickle in during a scan are found by the next one, after
			// messages that failed later.
			errDir := filepath.Join(dir, "default", "INT-16", "AP-29", "RECEIVE", "error")
			entries, err := os.ReadDir(errDir)
			require.NoError(t, err)
			require.Empty(t, entries, "the rename replaces an empty folder")
			stage := filepath.Join(filepath.Dir(errDir), ".burst")
			failedAt := time.Now().Add(-time.Hour).Truncate(time.Second)
			want := make([]string, 0, burst)
			for i := range burst {
				issue := fmt.Sprintf("AP-%d", 1000+i%200)
				require.NoError(t, os.MkdirAll(filepath.Join(stage, issue), 0o755))
				path := filepath.Join(stage, issue, fmt.Sprintf("%06d.bac", i))
				require.NoError(t, os.WriteFile(path, []byte("m"), 0o644))
				at := failedAt.Add(time.Duration(i) * time.Millisecond)
				require.NoError(t, os.Chtimes(path, at, at))
				want = append(want, messageKey("backbone.message.error", filepath.Join(errDir, issue, filepath.Base(path))))
			}
			require.NoError(t, syscall.Rename(stage, errDir)) // os.Rename refuses to replace a folder
			if down {
				s.waitMetricsRefused(t, c, 3)
				s.SetDown(false)
			}
			s.requireAccepted(t, c, 120*time.Second, want...)
			s.waitMetrics(t, c, 2) // and nothing more comes

			assertOnce(t, s, want)
			var last int64
			requests, largest := 0, 0
			for _, b := range s.acceptedBatches() {
				requests++
				largest = max(largest, b.Bytes)
				assert.LessOrEqual(t, len(b.Keys), 1000, "max_events_per_request")
				for _, ts := range b.Times {
					assert.GreaterOrEqual(t, ts, last, "records arrive in the order the messages failed")
					last = ts
				}
			}
			refused, _ := s.refused()
			t.Logf("%d records in %d accepted requests (largest %d bytes), %d refused requests", burst, requests, largest, refused)
			assert.LessOrEqual(t, s.largestLogsRequest(), 1_000_000, "no request too large for the backend")
		})
	}
}
