package backbonereceiver

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// hangGate blocks every listing that starts while it is closed, as a directory read of a
// share that does not answer blocks in the kernel, whatever the context says.
type hangGate struct {
	mu       sync.Mutex
	released chan struct{} // nil while open
	started  atomic.Int64  // listings that reached the gate
}

func (g *hangGate) wait() {
	g.started.Add(1)
	g.mu.Lock()
	ch := g.released
	g.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

func (g *hangGate) hang() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.released = make(chan struct{})
}

func (g *hangGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.released)
	g.released = nil
}

// folderMetricCount counts the backbone.folder.* data points of one tick's metrics.
func folderMetricCount(md pmetric.Metrics) int {
	n := 0
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				if strings.HasPrefix(m.Name(), "backbone.folder.") {
					n += m.Gauge().DataPoints().Len()
				}
			}
		}
	}
	return n
}

// TestHungShare: while every directory read blocks, a tick waits for the scan only for its
// budget, then reports no folder metrics and no event, never a false "resolved"; no other
// listing starts, however many ticks and polls come; the stuck listing is logged once; when
// the share answers, the next tick reports what changed meanwhile, once.
func TestHungShare(t *testing.T) {
	const (
		a = ap29Recv + "error/AP-1/000001.bac"
		b = ap29Recv + "error/AP-2/000002.bac"
	)
	root := newEventsTree(t)
	cfg := newEventsConfig(root, time.Hour)
	cfg.ScanTimeout = 50 * time.Millisecond
	set := receivertest.NewNopSettings(metadata.Type)
	core, logs := observer.New(zap.InfoLevel)
	set.Logger = zap.New(core)
	s := newStepScraperWith(t, cfg, componenttest.NewNopHost(), set)
	gate := &hangGate{}
	s.r.reader.folders.before = gate.wait

	first := s.r.tick(t.Context(), stepDue())
	watched := queuetree.WatchedFolders(first.tree, func(queuetree.Folder) bool { return true })
	putMessageFile(t, root, a, 1, eventsMTime)
	ld, err := s.step(t)
	require.NoError(t, err)
	require.Equal(t, []string{"backbone.message.error ERROR " + a}, briefRecords(root, ld))
	healthy := folderMetricCount(s.metrics.AllMetrics()[1])
	require.Positive(t, healthy)

	gate.hang()
	removeMessageFile(t, root, a)
	putMessageFile(t, root, b, 1, eventsMTime)
	goroutines := runtime.NumGoroutine()
	start := time.Now()
	ld, err = s.step(t)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), cfg.ScanTimeout+scanGrace+time.Second, "the tick waited past the scan's budget")
	assert.Zero(t, ld.LogRecordCount(), "no event while the share hangs, least of all a resolved one")
	for range 3 {
		start = time.Now()
		ld, err = s.step(t)
		require.NoError(t, err)
		assert.Less(t, time.Since(start), cfg.ScanTimeout, "a tick waited for a second listing")
		assert.Zero(t, ld.LogRecordCount())
		s.r.relist(t.Context(), watched, true, stepDue())
	}
	assert.Equal(t, int64(3), gate.started.Load(), "two healthy scans and one stuck: no other listing started")
	assert.LessOrEqual(t, runtime.NumGoroutine(), goroutines+2, "listings piled up")
	all := s.metrics.AllMetrics()
	for _, md := range all[2:] {
		assert.Zero(t, folderMetricCount(md), "backbone.folder.* while the share hangs")
	}
	assert.Equal(t, 1, logs.FilterMessageSnippet("has not returned within scan_timeout").Len(), "%v", logs.All())

	gate.release()
	require.Eventually(t, func() bool { return !s.r.reader.folders.stuck() }, 5*time.Second, time.Millisecond)
	ld, err = s.step(t)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"backbone.message.error ERROR " + b, "backbone.message.resolved INFO " + a}, briefRecords(root, ld))
	assert.Equal(t, healthy, folderMetricCount(s.metrics.AllMetrics()[len(all)]))
	ld, err = s.step(t)
	require.NoError(t, err)
	assert.Zero(t, ld.LogRecordCount(), "an event repeated after recovery")
	assert.Equal(t, 1, logs.FilterMessageSnippet("resolved: Backbone folder tree: a folder listing").Len())
	assert.Equal(t, 2, logs.FilterMessageSnippet("has not returned within scan_timeout").Len(), "the stuck listing logged once, its end once")
}

// TestSlowScanKeepsItsResult: a scan that overruns its budget but returns within the grace
// is used, not reported as stuck.
func TestSlowScanKeepsItsResult(t *testing.T) {
	root := newEventsTree(t)
	cfg := newEventsConfig(root, time.Hour)
	cfg.ScanTimeout = 20 * time.Millisecond
	s := newStepScraper(t, cfg, componenttest.NewNopHost())
	s.r.reader.folders.before = func() { time.Sleep(2 * cfg.ScanTimeout) }
	snap := s.r.tick(t.Context(), stepDue())
	require.NotNil(t, snap.tree)
	assert.True(t, snap.scanStuck.IsZero())
}
