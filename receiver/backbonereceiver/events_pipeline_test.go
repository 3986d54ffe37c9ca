package backbonereceiver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/metricpoints"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadatatest"
)

// TestOneSnapshotPerIntervalWithSlowJira runs one config in a metrics and a logs pipeline,
// as the collector does, against a Jira that answers in 0.7 times the interval: the API is
// called once per interval, the tree walked once per interval (the receiver's own scan
// telemetry counts the walks), and the record and the metrics of the tick that found a
// file carry the same time.
func TestOneSnapshotPerIntervalWithSlowJira(t *testing.T) {
	const interval = 400 * time.Millisecond
	sim, err := backbonesim.New(backbonesim.Options{Dir: filepath.Join(t.TempDir(), "backbone-issue-sync"), Seed: 1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sim.Close()) })
	var apiCalls atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiCalls.Add(1)
		time.Sleep(interval * 7 / 10)
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)

	cfg := newEventsConfig(sim.Dir(), interval)
	cfg.Endpoint, cfg.Username, cfg.Password = slow.URL, backbonesim.DefaultUsername, backbonesim.DefaultPassword
	cfg.ControllerConfig.Timeout = 5 * time.Second
	// Ticks alone: a re-list between ticks would find the file before the tick does.
	cfg.EventsNotify, cfg.EventsPollInterval = false, 0

	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tel)
	metricsSink, logsSink := &consumertest.MetricsSink{}, &consumertest.LogsSink{}
	f := NewFactory()
	mr, err := f.CreateMetrics(t.Context(), set, cfg, metricsSink)
	require.NoError(t, err)
	lr, err := f.CreateLogs(t.Context(), set, cfg, logsSink)
	require.NoError(t, err)
	require.Same(t, mr, lr, "both pipelines share one receiver")

	require.NoError(t, mr.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, lr.Start(t.Context(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return len(metricsSink.AllMetrics()) >= 2 }, 10*time.Second, 10*time.Millisecond)
	path, err := sim.PutMessage("INT-16", "AP-29", backbonesim.FolderError, "AP-123")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return countRecords(logsSink.AllLogs()) == 1 }, 10*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return len(metricsSink.AllMetrics()) >= 6 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, lr.Shutdown(context.Background()))
	require.NoError(t, mr.Shutdown(context.Background()))

	ticks := len(metricsSink.AllMetrics())
	calls := apiCalls.Load()
	t.Logf("%d ticks, %d API calls, %d tree walks", ticks, calls, scans(t, tel))
	assert.Equal(t, int64(ticks), calls, "one API call per tick: the seed's integrations carry their status")
	assert.Equal(t, uint64(ticks), scans(t, tel), "one tree walk per tick")

	lastAt := metricpoints.Flatten(metricsSink.AllMetrics()[ticks-1])[0].Time
	firstAt := metricpoints.Flatten(metricsSink.AllMetrics()[0])[0].Time
	elapsed := lastAt.Sub(firstAt)
	assert.GreaterOrEqual(t, elapsed, time.Duration(ticks-1)*interval*9/10, "ticks keep the interval: reading takes 0.7 of it")

	// The record and the metrics of the tick that found the file carry the same time.
	record := nonEmpty(logsSink.AllLogs())[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	p, _ := record.Attributes().Get("file.path")
	require.Equal(t, path, p.Str())
	assert.Equal(t, float64(1), errorFolderMessages(metricsSink.AllMetrics(), record.ObservedTimestamp()),
		"the metrics of the record's tick count the file")
}

// scans returns how many full scans the receiver's telemetry counted: 0 before the first.
func scans(t *testing.T, tel *componenttest.Telemetry) uint64 {
	t.Helper()
	m, err := tel.GetMetric("otelcol_backbone_scan_duration")
	if err != nil {
		return 0
	}
	var n uint64
	for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
		n += dp.Count
	}
	return n
}

// errorFolderMessages returns backbone.folder.messages of AP-29's error folder at ts, or -1.
func errorFolderMessages(mds []pmetric.Metrics, ts pcommon.Timestamp) float64 {
	for _, md := range mds {
		for _, p := range metricpoints.Flatten(md) {
			if p.Metric == "backbone.folder.messages" && p.Time.Equal(ts.AsTime()) &&
				p.Attr("backbone.connector.key") == "AP-29" && p.Attr("backbone.folder") == "error" {
				return p.Value
			}
		}
	}
	return -1
}
