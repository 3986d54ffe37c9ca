package backbonereceiver

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

// TestArchiveCount checks the archive count of a metrics pipeline across ticks while
// messages move into and out of archive/: listed at every tick with archive_interval 0,
// reused from the first tick within it; events_notify, which only changes how events are
// found, makes no difference.
func TestArchiveCount(t *testing.T) {
	tests := []struct {
		desc     string
		interval time.Duration
		details  bool
		reused   bool // every tick reports the first tick's count
	}{
		{desc: "listed at every tick"},
		{desc: "listed at every tick, with details", details: true},
		{desc: "reused within archive_interval", interval: time.Hour, reused: true},
		{desc: "reused within archive_interval, with details", interval: time.Hour, details: true, reused: true},
	}
	for _, tt := range tests {
		for _, notify := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/events_notify=%t", tt.desc, notify), func(t *testing.T) {
				root := t.TempDir()
				receive := filepath.Join(root, "default", "INT-1", "AP-1", "RECEIVE")
				require.NoError(t, os.MkdirAll(filepath.Join(receive, "archive"), 0o755))
				cfg := newTestConfig("", root)
				cfg.EventsNotify, cfg.ArchiveDetails, cfg.ArchiveInterval = notify, tt.details, tt.interval
				set := receivertest.NewNopSettings(metadata.Type)
				r, err := newReceiver(cfg, set)
				require.NoError(t, err)
				sink := &consumertest.MetricsSink{}
				require.NoError(t, r.registerMetrics(sink, set))
				require.NoError(t, r.startOutputs(t.Context(), componenttest.NewNopHost()))
				t.Cleanup(func() { require.NoError(t, r.Shutdown(t.Context())) })

				archived, first := 0, 0
				for tick := range 4 {
					for i := range 25 {
						name := fmt.Sprintf("t%d-%d.bac", tick, i)
						require.NoError(t, os.WriteFile(filepath.Join(receive, name), nil, 0o644))
						require.NoError(t, os.Rename(filepath.Join(receive, name), filepath.Join(receive, "archive", name)))
					}
					archived += 25
					if tick > 0 { // some move out again
						for i := range 5 {
							name := fmt.Sprintf("t%d-%d.bac", tick-1, i)
							require.NoError(t, os.Rename(filepath.Join(receive, "archive", name), filepath.Join(receive, name)))
						}
						archived -= 5
					}
					if tick == 0 {
						first = archived
					}
					want := archived
					if tt.reused {
						want = first
					}
					r.tick(t.Context(), stepDue())
					md := sink.AllMetrics()[len(sink.AllMetrics())-1]
					assert.Equal(t, float64(want), folderGauge(t, md, "backbone.folder.messages", "AP-1")["archive"], "tick %d", tick)
				}
			})
		}
	}
}
