package faults

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-backbone/otelcol-backbone/internal/backbonesim"
)

// TestFaultsAPIHangKeepsFolderMetrics makes Jira accept the API requests and never answer. The
// README promises that folder metrics never depend on the API being up; but `timeout` sets
// both the HTTP client's timeout and the scrape's deadline, so the hanging call uses up the
// whole deadline and the folder scan that follows it starts with an expired context. (The
// exporter keeps its default in-memory queue here: without a queue, the expired context also
// makes the export fail, and not even backbone.api.up = 0 leaves the collector.)
func TestFaultsAPIHangKeepsFolderMetrics(t *testing.T) {
	collectorBinary(t)
	skipKnownIssue(t, "a hanging API uses up the scrape's deadline: the folder scan that follows gets none, "+
		"so no folder metric is reported and the log says the tree cannot be read")
	t.Parallel()

	sim, dir, base := newSim(t)
	s := newSink(t)
	cfg := writeConfig(t, `
receivers:%s
exporters:
  otlp_http:
    endpoint: %q
    compression: none
service:
  pipelines:
    metrics:
      receivers: [backbone]
      exporters: [otlp_http]
  telemetry:
    metrics:
      level: none
`, receiverConfig(base, dir, "    timeout: 1s\n"), s.url)
	c := startCollector(t, "API hang", cfg)
	s.waitMetrics(t, c, 2)
	before := len(s.folderPointsSince(0))
	if points := s.folderPointsSince(0); assert.NotEmpty(t, points) {
		assert.Positive(t, points[len(points)-1], "folder metrics while Jira answers")
	}

	sim.SetFault(backbonesim.FaultHang)
	s.waitMetrics(t, c, 4)
	sim.SetFault(backbonesim.FaultNone)
	during := s.folderPointsSince(before + 1) // the first may have been taken before the fault
	for i, n := range during {
		assert.Positive(t, n, "backbone.folder.messages points in scrape %d while the API hangs", i+1)
	}
	assert.Zero(t, countLines(c.log(), "warn", "Backbone folder tree: Cannot read"), "folder problems logged while only the API hangs")
	time.Sleep(interval)
}
