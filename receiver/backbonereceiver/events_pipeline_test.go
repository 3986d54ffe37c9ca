package backbonereceiver

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-backbone/otelcol-backbone/internal/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

// snapshotLog records which snapshot of the shared source each delivery was built from.
type snapshotLog struct {
	mu    sync.Mutex
	times map[string][]time.Time // by pipeline
}

func (l *snapshotLog) add(pipeline string, src *source) {
	src.mu.Lock()
	ts := src.last.time
	src.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.times == nil {
		l.times = map[string][]time.Time{}
	}
	l.times[pipeline] = append(l.times[pipeline], ts)
}

func (l *snapshotLog) get(pipeline string) []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.times[pipeline]...)
}

// snapshotMetrics and snapshotLogs note, at each delivery, which snapshot of the shared
// source the scrape was built from.
type snapshotMetrics struct {
	consumertest.MetricsSink
	src *atomic.Pointer[source]
	log *snapshotLog
}

func (m *snapshotMetrics) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	m.log.add("metrics", m.src.Load())
	return m.MetricsSink.ConsumeMetrics(ctx, md)
}

func (*snapshotMetrics) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

type snapshotLogs struct {
	consumertest.LogsSink
	src *atomic.Pointer[source]
	log *snapshotLog
}

func (l *snapshotLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	l.log.add("logs", l.src.Load())
	return l.LogsSink.ConsumeLogs(ctx, ld)
}

func (*snapshotLogs) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

// TestEventsOneWalkPerInterval runs one config in a metrics and a logs receiver, as the
// collector does when a receiver is used in both pipelines, and checks that every interval
// has one snapshot: one walk of the tree and one API call, seen by both pipelines, so that
// records and metrics describe the same moment.
func TestEventsOneWalkPerInterval(t *testing.T) {
	sim, base := startEventsSim(t)
	cfg := newEventsConfig(sim.Dir(), 100*time.Millisecond)
	cfg.Endpoint, cfg.Username, cfg.Password = base, backbonesim.DefaultUsername, backbonesim.DefaultPassword

	var src atomic.Pointer[source]
	snaps := &snapshotLog{}
	metricsSink := &snapshotMetrics{src: &src, log: snaps}
	logsSink := &snapshotLogs{src: &src, log: snaps}
	f := NewFactory()
	mr, err := f.CreateMetrics(t.Context(), receivertest.NewNopSettings(metadata.Type), cfg, metricsSink)
	require.NoError(t, err)
	lr, err := f.CreateLogs(t.Context(), receivertest.NewNopSettings(metadata.Type), cfg, logsSink)
	require.NoError(t, err)
	sources.mu.Lock()
	src.Store(sources.m[cfg])
	sources.mu.Unlock()
	require.NotNil(t, src.Load(), "both receivers share one source")

	before := sim.Stats().Requests
	require.NoError(t, mr.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, lr.Start(t.Context(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return len(logsSink.AllLogs()) >= 2 }, 5*time.Second, 10*time.Millisecond)
	path, err := sim.PutMessage("INT-16", "AP-29", backbonesim.FolderError, "AP-123")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return countRecords(logsSink.AllLogs()) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return len(logsSink.AllLogs()) >= 6 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, lr.Shutdown(context.Background()))
	require.NoError(t, mr.Shutdown(context.Background()))
	requests := sim.Stats().Requests - before

	metricsSnaps, logsSnaps := snaps.get("metrics"), snaps.get("logs")
	distinct := map[time.Time]bool{}
	for _, ts := range append(slices.Clone(metricsSnaps), logsSnaps...) {
		distinct[ts] = true
	}
	t.Logf("%d metrics and %d logs scrapes, %d snapshots, %d API requests", len(metricsSnaps), len(logsSnaps), len(distinct), requests)
	assert.LessOrEqual(t, len(distinct), max(len(metricsSnaps), len(logsSnaps))+1,
		"one snapshot per interval, not one per pipeline")
	shared := 0
	for _, ts := range logsSnaps {
		if slices.Contains(metricsSnaps, ts) {
			shared++
		}
	}
	assert.GreaterOrEqual(t, shared, len(logsSnaps)-1, "the logs pipeline uses the metrics pipeline's snapshots")
	assert.Equal(t, len(distinct), requests, "one API call per snapshot")

	// The record and the metrics of the scrape that found the file carry the same time.
	var record plog.LogRecord
	for _, ld := range nonEmpty(logsSink.AllLogs()) {
		record = ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	}
	p, _ := record.Attributes().Get("file.path")
	require.Equal(t, path, p.Str())
	assert.Equal(t, float64(1), errorFolderMessages(metricsSink.AllMetrics(), record.ObservedTimestamp()),
		"the metrics of the record's snapshot count the file")
}

// errorFolderMessages returns backbone.folder.messages of AP-29's error folder at ts, or -1.
func errorFolderMessages(mds []pmetric.Metrics, ts pcommon.Timestamp) float64 {
	for _, md := range mds {
		for _, rm := range md.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					if m.Name() != "backbone.folder.messages" {
						continue
					}
					for _, dp := range m.Gauge().DataPoints().All() {
						c, _ := dp.Attributes().Get("backbone.connector.key")
						f, _ := dp.Attributes().Get("backbone.folder")
						if dp.Timestamp() == ts && c.Str() == "AP-29" && f.Str() == "error" {
							return float64(dp.IntValue())
						}
					}
				}
			}
		}
	}
	return -1
}
