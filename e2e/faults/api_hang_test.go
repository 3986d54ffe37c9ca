package faults

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
)

// TestFaultsAPIHangKeepsFolderMetrics makes Jira accept the API requests and never answer.
// `timeout` sets both the HTTP client's timeout and the scrape's deadline: a hanging call must
// neither take the folder scan's time (folder metrics never depend on the API) nor leave the
// pipeline an expired context (without an exporter queue the export would fail, and not even
// backbone.api.up = 0 would leave the collector).
func TestFaultsAPIHangKeepsFolderMetrics(t *testing.T) {
	e2eproc.CollectorBinary(t)
	t.Parallel()

	tests := []struct {
		desc  string
		queue *collectoryaml.Queue
		retry *collectoryaml.Retry
	}{
		{desc: "default in-memory queue"},
		{desc: "queue disabled", queue: &collectoryaml.Queue{Disabled: true}, retry: &collectoryaml.Retry{Disabled: true}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			sim, dir, base := newSim(t)
			s := newSink(t)
			cfg := writeConfig(t, collectoryaml.Config{
				Receiver:    receiver(base, dir, "    timeout: 1s\n"),
				Exporter:    collectoryaml.Exporter{Endpoint: s.URL, Compression: "none", Queue: tt.queue, Retry: tt.retry},
				MetricsOnly: true,
			})
			c := startCollector(t, "API hang", cfg)
			s.waitMetrics(t, c, 2)
			before := s.scrapesSince(0)
			require.NotEmpty(t, before)
			assert.Positive(t, before[len(before)-1].folderPoints, "folder metrics while Jira answers")

			sim.SetFault(backbonesim.FaultHang)
			s.waitMetrics(t, c, 4)
			sim.SetFault(backbonesim.FaultNone)
			during := s.scrapesSince(len(before) + 1) // the first may have been taken before the fault
			require.NotEmpty(t, during)
			for i, sc := range during {
				assert.Positive(t, sc.folderPoints, "backbone.folder.messages points in scrape %d while the API hangs", i+1)
			}
			last := during[len(during)-1]
			assert.Equal(t, 0.0, last.apiUp, "backbone.api.up while the API hangs")
			assert.Equal(t, "timeout", last.errorType, "error.type while the API hangs")
			assert.Zero(t, e2eproc.CountLines(c.Output(), "warn", "Backbone folder tree: Cannot read"), "folder problems logged while only the API hangs")
			assert.Zero(t, e2eproc.CountLines(c.Output(), "Exporting failed"), "exports failed while the API hangs")
		})
	}
}
