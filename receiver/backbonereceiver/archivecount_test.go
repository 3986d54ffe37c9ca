package backbonereceiver

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

// TestArchiveCountFollowsMoves checks the archive count of a metrics pipeline across
// ticks while messages move into and out of archive/, with the count kept from
// notifications (events_notify on) and listed at every tick (off), and with details.
func TestArchiveCountFollowsMoves(t *testing.T) {
	tests := []struct {
		desc    string
		notify  bool
		details bool
	}{
		{desc: "kept from notifications", notify: true},
		{desc: "listed at every tick", notify: false},
		{desc: "with archive details", notify: true, details: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := t.TempDir()
			receive := filepath.Join(root, "default", "INT-1", "AP-1", "RECEIVE")
			require.NoError(t, os.MkdirAll(filepath.Join(receive, "archive"), 0o755))
			cfg := newTestConfig("", root)
			cfg.EventsNotify, cfg.ArchiveDetails = tt.notify, tt.details
			set := receivertest.NewNopSettings(metadata.Type)
			r, err := newReceiver(cfg, set)
			require.NoError(t, err)
			assert.Equal(t, tt.notify && !tt.details, r.reader.counter != nil)
			sink := &consumertest.MetricsSink{}
			require.NoError(t, r.registerMetrics(sink, set))
			require.NoError(t, r.startOutputs(t.Context(), componenttest.NewNopHost()))
			t.Cleanup(func() { require.NoError(t, r.Shutdown(t.Context())) })

			want := 0
			for tick := range 4 {
				for i := range 25 {
					name := fmt.Sprintf("t%d-%d.bac", tick, i)
					require.NoError(t, os.WriteFile(filepath.Join(receive, name), nil, 0o644))
					require.NoError(t, os.Rename(filepath.Join(receive, name), filepath.Join(receive, "archive", name)))
				}
				want += 25
				if tick > 0 { // some move out again
					for i := range 5 {
						name := fmt.Sprintf("t%d-%d.bac", tick-1, i)
						require.NoError(t, os.Rename(filepath.Join(receive, "archive", name), filepath.Join(receive, name)))
					}
					want -= 5
				}
				r.tick(t.Context(), stepDue())
				md := sink.AllMetrics()[len(sink.AllMetrics())-1]
				assert.Equal(t, float64(want), folderGauge(t, md, "backbone.folder.messages", "AP-1")["archive"], "tick %d", tick)
			}
		})
	}
}
