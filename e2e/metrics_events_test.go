package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
)

// TestE2EMetricsAndEvents checks every API and folder metric against the simulator's state,
// before and after changes, and that each change produces exactly one log record.
func TestE2EMetricsAndEvents(t *testing.T) {
	e2eproc.CollectorBinary(t)
	t.Parallel()

	tmp := t.TempDir()
	dir := filepath.Join(tmp, "backbone-issue-sync")
	sim, base := newSim(t, dir, "")
	// Present before the collector starts: with the default start_at (needs_attention) it is
	// reported once, marked as found at start.
	old := putMessage(t, sim, "INT-16", "AP-29", backbonesim.FolderError, "AP-1")

	metricsPath, logsPath := filepath.Join(tmp, "metrics.jsonl"), filepath.Join(tmp, "logs.jsonl")
	c := startCollector(t, writeConfig(t, collectorConfig{
		Endpoint: base, Username: simUser, Password: simPassword, Directory: dir,
		MetricsPath: metricsPath, LogsPath: logsPath,
	}))
	metrics, logs := newMetricsOutput(metricsPath), newLogsOutput(logsPath)

	// Two scrapes: the events pipeline has taken its first look at the tree by then.
	first := metrics.waitScrapes(t, c, 2)
	t.Run("initial scrape", func(t *testing.T) {
		assertScrape(t, first, expectedSeries(sim.Snapshot()), base)
	})

	errPath := putMessage(t, sim, "INT-16", "AP-29", backbonesim.FolderError, "AP-123")
	seqPath := putMessage(t, sim, "INT-17", "SSD-38", backbonesim.FolderSequenceError, "")
	sendPath := putMessage(t, sim, "INT-15", "SP-28", backbonesim.FolderSendError, "")
	got := logs.waitFor(t, c,
		otlpsink.Key("backbone.message.error", old),
		otlpsink.Key("backbone.message.error", errPath),
		otlpsink.Key("backbone.message.sequence_error", seqPath),
		otlpsink.Key("backbone.message.send_error", sendPath),
	)

	archived, err := sim.MoveMessage(errPath, backbonesim.FolderArchive, "")
	require.NoError(t, err)
	resolved := logs.waitFor(t, c, otlpsink.Key("backbone.message.resolved", errPath))
	for k, v := range resolved {
		got[k] = v
	}

	require.NoError(t, sim.SetIntegrationStatus("INT-17", backbonesim.StatusStopped))
	require.NoError(t, sim.SetOnline("PB-30", false))
	statusKey := seriesKey("backbone.integration.status_changed", "INT-17", map[string]any{
		"backbone.integration.state": "stopped", "backbone.integration.previous_state": "running",
	})
	onlineAttrs := map[string]any{
		"backbone.connector.key": "PB-30", "jira.project.key": "PB", "backbone.connector.online": false,
		"backbone.connector.base_url": baseURLOf(t, sim, "PB-30"),
	}
	onlineKey := seriesKey("backbone.connector.online_changed", "INT-16", onlineAttrs)
	changedAt := time.Now()
	for k, v := range logs.waitFor(t, c, statusKey, onlineKey) {
		got[k] = v
	}

	t.Run("scrape after the changes", func(t *testing.T) {
		s := metrics.waitScrapeAfter(t, c, changedAt)
		assertScrape(t, s, expectedSeries(sim.Snapshot()), base)
	})

	resource := func(integration string) map[string]any {
		return map[string]any{
			"backbone.integration.idle":    false,
			"backbone.integration.key":     integration,
			"backbone.integration.summary": summaries[integration],
			"jira.base_url":                base,
		}
	}
	message := func(connector, project, folder, issue, path string) map[string]any {
		attrs := map[string]any{
			"backbone.connector.key":      connector,
			"jira.project.key":            project,
			"backbone.connector.base_url": baseURLOf(t, sim, connector),
			"backbone.folder":             folder,
			"file.name":                   filepath.Base(path),
			"file.path":                   path,
			"file.size":                   int64(-1), // filled in below
		}
		if issue != "" {
			attrs["backbone.issue"] = issue
		}
		return attrs
	}
	oldAttrs := message("AP-29", "AP", "error", "AP-1", old)
	oldAttrs["file.size"] = fileSize(t, old)
	oldAttrs["backbone.message.found_at_start"] = true
	errAttrs := message("AP-29", "AP", "error", "AP-123", errPath)
	errAttrs["file.size"] = fileSize(t, archived)
	seqAttrs := message("SSD-38", "SSD", "sequence_error", "", seqPath)
	seqAttrs["file.size"] = fileSize(t, seqPath)
	sendAttrs := message("SP-28", "SP", "send_error", "", sendPath)
	sendAttrs["file.size"] = fileSize(t, sendPath)
	resolvedAttrs := map[string]any{}
	for k, v := range errAttrs {
		resolvedAttrs[k] = v
	}

	tests := []struct {
		desc     string
		key      string
		resource map[string]any
		severity plog.SeverityNumber
		attrs    map[string]any
		body     []string // parts the body must contain
	}{
		{
			desc:     "message in RECEIVE/error/<issue>/ before the first start",
			key:      otlpsink.Key("backbone.message.error", old),
			resource: resource("INT-16"),
			severity: plog.SeverityNumberError,
			attrs:    oldAttrs,
			body:     []string{filepath.Base(old), "AP-1", "INT-16/AP-29", "found at the receiver's first start"},
		},
		{
			desc:     "message in RECEIVE/error/<issue>/",
			key:      otlpsink.Key("backbone.message.error", errPath),
			resource: resource("INT-16"),
			severity: plog.SeverityNumberError,
			attrs:    errAttrs,
			body:     []string{filepath.Base(errPath), "AP-123", "INT-16/AP-29"},
		},
		{
			desc:     "message in RECEIVE/sequence-error/",
			key:      otlpsink.Key("backbone.message.sequence_error", seqPath),
			resource: resource("INT-17"),
			severity: plog.SeverityNumberWarn,
			attrs:    seqAttrs,
			body:     []string{filepath.Base(seqPath), "INT-17/SSD-38"},
		},
		{
			desc:     "message in SEND/error/",
			key:      otlpsink.Key("backbone.message.send_error", sendPath),
			resource: resource("INT-15"),
			severity: plog.SeverityNumberError,
			attrs:    sendAttrs,
			body:     []string{filepath.Base(sendPath), "INT-15/SP-28"},
		},
		{
			desc:     "error message moved to the archive",
			key:      otlpsink.Key("backbone.message.resolved", errPath),
			resource: resource("INT-16"),
			severity: plog.SeverityNumberInfo,
			attrs:    resolvedAttrs,
			body:     []string{filepath.Base(errPath), "AP-123", "INT-16/AP-29"},
		},
		{
			desc:     "integration stopped",
			key:      statusKey,
			resource: resource("INT-17"),
			severity: plog.SeverityNumberWarn,
			attrs: map[string]any{
				"backbone.integration.state": "stopped", "backbone.integration.previous_state": "running",
			},
			body: []string{"INT-17", "running", "stopped"},
		},
		{
			desc:     "connector offline",
			key:      onlineKey,
			resource: resource("INT-16"),
			severity: plog.SeverityNumberWarn,
			attrs:    onlineAttrs,
			body:     []string{"PB-30", "INT-16", "offline", baseURLOf(t, sim, "PB-30")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r, ok := got[tt.key]
			require.True(t, ok, "no record for %s", tt.key)
			assert.Equal(t, tt.resource, r.Resource, "resource")
			assert.Equal(t, tt.severity, r.Severity, "severity number")
			assert.Equal(t, strings.ToUpper(tt.severity.String()), r.SeverityText, "severity text")
			attrs := r.Attrs
			assert.Equal(t, r.Event, attrs["event.name"], "the event name, also as an attribute")
			attrs = without(attrs, "event.name")
			if tt.key == otlpsink.Key("backbone.message.resolved", errPath) || tt.key == otlpsink.Key("backbone.message.sequence_error", seqPath) {
				assert.GreaterOrEqual(t, attrs["backbone.message.time_in_folder"], 0.0, "time in folder")
				attrs = without(attrs, "backbone.message.time_in_folder")
			}
			assert.Equal(t, tt.attrs, attrs, "attributes")
			for _, part := range tt.body {
				assert.Contains(t, r.Body, part, "body")
			}
			assert.False(t, r.Time.IsZero(), "timestamp")
		})
	}

	t.Run("each change reported exactly once", func(t *testing.T) {
		metrics.waitScrapes(t, c, 3) // time for repeats to show
		logs.poll(t)
		want := map[string]int{}
		for _, tt := range tests {
			want[tt.key] = 1
		}
		assert.Equal(t, want, logs.counts(), "records by what they report; all records:\n%s", logs.dump())
	})
}

// without returns a copy of attrs without key.
func without(attrs map[string]any, key string) map[string]any {
	out := make(map[string]any, len(attrs))
	for k, v := range attrs {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// baseURLOf returns the Jira a connector of the simulator lives on, as the API gives it.
func baseURLOf(t *testing.T, sim *backbonesim.Sim, connector string) string {
	t.Helper()
	for _, in := range sim.Snapshot().Integrations {
		for _, c := range in.Connectors {
			if c.Key == connector {
				return c.BaseURL
			}
		}
	}
	t.Fatalf("no connector %s in the simulator", connector)
	return ""
}
