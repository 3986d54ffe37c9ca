package backbonereceiver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadatatest"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/sharedcomponent"
)

// electorID is the ID the tests' configs name in k8s_leader_elector.
var electorID = component.MustNewID("k8s_leader_elector")

// fakeElector stands for contrib's k8s_leader_elector extension: the test decides when this
// collector holds the Lease. It has the extension's method set, callbacks included.
type fakeElector struct {
	mu      sync.Mutex
	started func(context.Context)
	stopped func()
	cancel  context.CancelFunc
}

func (*fakeElector) Start(context.Context, component.Host) error { return nil }
func (*fakeElector) Shutdown(context.Context) error              { return nil }

func (f *fakeElector) SetCallBackFuncs(started func(context.Context), stopped func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started, f.stopped = started, stopped
}

// lead calls the start callback as the extension does on acquiring the Lease.
func (f *fakeElector) lead() {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ctx context.Context
	ctx, f.cancel = context.WithCancel(context.Background())
	f.started(ctx)
}

// lose calls the stop callback as the extension does when the Lease is lost.
func (f *fakeElector) lose() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancel()
	f.stopped()
}

// electorHost offers one extension under electorID.
type electorHost struct{ ext component.Component }

func (h electorHost) GetExtensions() map[component.ID]component.Component {
	return map[component.ID]component.Component{electorID: h.ext}
}

// ledRun is a receiver under an elector, in a metrics and a logs pipeline, started as the
// collector starts it; it counts its scans.
type ledRun struct {
	r       *backboneReceiver
	elector *fakeElector
	tel     *componenttest.Telemetry
	logs    *flakyLogs
	metrics *consumertest.MetricsSink
}

// newLedConfig is a folder and API config under an elector, with a short interval and
// lookback; it only ticks, so that what a test sees comes from full scans.
func newLedConfig(t *testing.T, root string, apiCalls *atomic.Int64) *Config {
	t.Helper()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		apiCalls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(api.Close)
	cfg := newEventsConfig(root, 50*time.Millisecond)
	cfg.Endpoint = api.URL
	cfg.Token = "pat"
	cfg.EventsNotify = false
	cfg.EventsPollInterval = 0
	cfg.LeaderElector = &electorID
	cfg.TakeoverLookback = 200 * time.Millisecond
	return cfg
}

// startLed starts a receiver for cfg with an elector that does not lead yet.
func startLed(t *testing.T, cfg *Config, name string) *ledRun {
	t.Helper()
	run := &ledRun{elector: &fakeElector{}, tel: componenttest.NewTelemetry(), logs: &flakyLogs{}, metrics: &consumertest.MetricsSink{}}
	t.Cleanup(func() { require.NoError(t, run.tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(run.tel)
	set.ID = component.NewIDWithName(metadata.Type, name)
	rm, err := NewFactory().CreateMetrics(t.Context(), set, cfg, run.metrics)
	require.NoError(t, err)
	rl, err := NewFactory().CreateLogs(t.Context(), set, cfg, run.logs)
	require.NoError(t, err)
	run.r = rl.(*sharedcomponent.Component[*backboneReceiver]).Unwrap()
	host := electorHost{ext: run.elector}
	for _, r := range []component.Component{rm, rl} {
		require.NoError(t, r.Start(t.Context(), host))
	}
	t.Cleanup(func() {
		for _, r := range []component.Component{rm, rl} {
			require.NoError(t, r.Shutdown(context.Background()))
		}
	})
	return run
}

// watching reports whether the receiver has a notification watch open.
func (l *ledRun) watching() bool {
	l.r.mu.Lock()
	defer l.r.mu.Unlock()
	return l.r.watch != nil && l.r.watch.watcher != nil
}

// leadAndWaitScan makes the receiver lead and waits for its first scan of the term.
func (l *ledRun) leadAndWaitScan(t *testing.T) {
	t.Helper()
	before := scans(t, l.tel)
	l.elector.lead()
	require.Eventually(t, func() bool { return scans(t, l.tel) > before }, waitDeadline, 5*time.Millisecond, "a scan after taking the lead")
}

// TestLeaderIdleUntilLeading checks that a receiver that does not hold the Lease makes no
// API call, no scan and emits nothing; that it works once it leads; and that it stops
// within one interval when it loses the Lease.
func TestLeaderIdleUntilLeading(t *testing.T) {
	root := newEventsTree(t)
	var apiCalls atomic.Int64
	cfg := newLedConfig(t, root, &apiCalls)
	cfg.EventsNotify = true // the inotify watch, too, exists only while leading
	run := startLed(t, cfg, "idle")

	putMessageFile(t, root, ap29Recv+"error/000001.bac", 10, eventsMTime)
	time.Sleep(2 * cfg.CollectionInterval) // less than the lookback: the message is news when it leads
	assert.Zero(t, apiCalls.Load(), "API calls before leading")
	assert.Zero(t, scans(t, run.tel), "scans before leading")
	assert.Zero(t, run.metrics.DataPointCount(), "metrics before leading")
	assert.Empty(t, run.logs.AllLogs(), "events before leading")
	assert.False(t, run.watching(), "a watch before leading")

	run.leadAndWaitScan(t)
	assert.True(t, run.watching(), "the watch while leading")
	require.Eventually(t, func() bool { return apiCalls.Load() > 0 && run.metrics.DataPointCount() > 0 }, waitDeadline, 5*time.Millisecond)
	// Written just now, the message entered after the cutoff: it is announced.
	require.Eventually(t, func() bool { return len(briefAllRecords(root, run.logs.AllLogs())) == 1 }, waitDeadline, 5*time.Millisecond)

	run.elector.lose()
	time.Sleep(cfg.CollectionInterval) // a tick in flight may end
	calls, scanned, points := apiCalls.Load(), scans(t, run.tel), run.metrics.DataPointCount()
	putMessageFile(t, root, ap29Recv+"error/000002.bac", 10, eventsMTime)
	time.Sleep(5 * cfg.CollectionInterval)
	assert.Equal(t, calls, apiCalls.Load(), "API calls after losing the Lease")
	assert.Equal(t, scanned, scans(t, run.tel), "scans after losing the Lease")
	assert.Equal(t, points, run.metrics.DataPointCount(), "metrics after losing the Lease")
	assert.False(t, run.watching(), "a watch after losing the Lease")
	assert.Equal(t, []string{"backbone.message.error ERROR " + ap29Recv + "error/000001.bac"}, briefAllRecords(root, run.logs.AllLogs()))
}

// TestLeaderTakeover follows the Lease from one collector to another, each with its own
// state, on the same folders: the new leader announces what entered while nobody led and
// what entered within the lookback and one interval before it took over, and takes older
// messages as announced: under the default start_at, needs_attention, the message in error/
// from before either led is not announced as found at start.
func TestLeaderTakeover(t *testing.T) {
	const (
		old       = ap29Recv + "error/000001.bac" // entered long before either leads
		firstTerm = ap29Recv + "error/000002.bac" // entered just before the first leader starts
		unled     = ap29Recv + "error/000003.bac" // entered while nobody leads
		second    = ap29Recv + "error/000004.bac" // entered under the second leader
	)
	root := newEventsTree(t)
	var apiCalls atomic.Int64
	cfgA, cfgB := newLedConfig(t, root, &apiCalls), newLedConfig(t, root, &apiCalls)
	a, b := startLed(t, cfgA, "a"), startLed(t, cfgB, "b")
	window := cfgA.TakeoverLookback + cfgA.CollectionInterval
	record := func(rel string) string { return "backbone.message.error ERROR " + rel }

	putMessageFile(t, root, old, 10, eventsMTime)
	time.Sleep(window + 100*time.Millisecond)
	putMessageFile(t, root, firstTerm, 10, eventsMTime)
	a.leadAndWaitScan(t)
	require.Eventually(t, func() bool { return len(a.logs.AllLogs()) > 0 }, waitDeadline, 5*time.Millisecond)
	assert.Equal(t, []string{record(firstTerm)}, briefAllRecords(root, a.logs.AllLogs()), "the first leader: the old message counts as announced")
	time.Sleep(window + 100*time.Millisecond) // firstTerm is older than the next cutoff: not repeated

	a.elector.lose()
	putMessageFile(t, root, unled, 10, eventsMTime)
	time.Sleep(cfgB.TakeoverLookback / 2) // nobody leads, for less than the lookback
	b.leadAndWaitScan(t)
	putMessageFile(t, root, second, 10, eventsMTime)
	require.Eventually(t, func() bool { return len(briefAllRecords(root, b.logs.AllLogs())) >= 2 }, waitDeadline, 5*time.Millisecond)
	assert.Equal(t, []string{record(unled), record(second)}, briefAllRecords(root, b.logs.AllLogs()), "the new leader")
	assert.Equal(t, []string{record(firstTerm)}, briefAllRecords(root, a.logs.AllLogs()), "the former leader after losing the Lease")
}

// TestLeaderTakeoverRepeatsWithinWindow checks the other side of the rule: a message the
// former leader announced shortly before the takeover is announced again, while one older
// than the window is not, and what left the folder meanwhile is not reported.
func TestLeaderTakeoverRepeatsWithinWindow(t *testing.T) {
	const (
		older  = ap29Recv + "error/000001.bac"
		recent = ap29Recv + "error/000002.bac"
	)
	root := newEventsTree(t)
	var apiCalls atomic.Int64
	cfgA, cfgB := newLedConfig(t, root, &apiCalls), newLedConfig(t, root, &apiCalls)
	cfgA.StartAt, cfgB.StartAt = StartAtBeginning, StartAtEnd
	a, b := startLed(t, cfgA, "a"), startLed(t, cfgB, "b")
	record := func(rel string) string { return "backbone.message.error ERROR " + rel }

	putMessageFile(t, root, older, 10, eventsMTime)
	a.leadAndWaitScan(t)
	time.Sleep(cfgA.TakeoverLookback + cfgA.CollectionInterval + 100*time.Millisecond)
	putMessageFile(t, root, recent, 10, eventsMTime)
	require.Eventually(t, func() bool { return len(briefAllRecords(root, a.logs.AllLogs())) >= 2 }, waitDeadline, 5*time.Millisecond)
	a.elector.lose()

	b.leadAndWaitScan(t)
	time.Sleep(2 * cfgB.CollectionInterval)
	assert.Equal(t, []string{record(recent)}, briefAllRecords(root, b.logs.AllLogs()),
		"the new leader repeats only the message within the window")
}

// TestLeaderRegainsLease checks that a collector that leads again starts a fresh term: what
// entered while it did not lead is announced, and a message that left meanwhile is not
// resolved by it (the leader of that time reported it).
func TestLeaderRegainsLease(t *testing.T) {
	const (
		before = ap29Recv + "error/000001.bac"
		away   = ap29Recv + "error/000002.bac"
	)
	root := newEventsTree(t)
	var apiCalls atomic.Int64
	cfg := newLedConfig(t, root, &apiCalls)
	run := startLed(t, cfg, "again")

	putMessageFile(t, root, before, 10, eventsMTime)
	run.leadAndWaitScan(t)
	require.Eventually(t, func() bool { return len(run.logs.AllLogs()) > 0 }, waitDeadline, 5*time.Millisecond)
	run.elector.lose()
	removeMessageFile(t, root, before)
	putMessageFile(t, root, away, 10, eventsMTime)
	run.leadAndWaitScan(t)
	require.Eventually(t, func() bool { return len(briefAllRecords(root, run.logs.AllLogs())) >= 2 }, waitDeadline, 5*time.Millisecond)
	time.Sleep(2 * cfg.CollectionInterval)
	assert.Equal(t, []string{
		"backbone.message.error ERROR " + before,
		"backbone.message.error ERROR " + away,
	}, briefAllRecords(root, run.logs.AllLogs()))
}

// TestLeaderAfterShutdown checks that callbacks the elector makes after the receiver shut
// down (the extension stops last) start nothing.
func TestLeaderAfterShutdown(t *testing.T) {
	root := newEventsTree(t)
	var apiCalls atomic.Int64
	cfg := newLedConfig(t, root, &apiCalls)
	elector := &fakeElector{}
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	rcv, err := NewFactory().CreateLogs(t.Context(), metadatatest.NewSettings(tel), cfg, &flakyLogs{})
	require.NoError(t, err)
	require.NoError(t, rcv.Start(t.Context(), electorHost{ext: elector}))
	elector.lead()
	require.Eventually(t, func() bool { return scans(t, tel) > 0 }, waitDeadline, 5*time.Millisecond)
	require.NoError(t, rcv.Shutdown(context.Background()))
	elector.lose()
	elector.lead()
	scanned := scans(t, tel)
	time.Sleep(3 * cfg.CollectionInterval)
	assert.Equal(t, scanned, scans(t, tel))
}

// TestLeaderElectorMissing checks the errors of a k8s_leader_elector key that names no
// extension, or one that is not an elector.
func TestLeaderElectorMissing(t *testing.T) {
	cfg := newEventsConfig(t.TempDir(), time.Minute)
	cfg.LeaderElector = &electorID
	for name, host := range map[string]component.Host{
		"missing":     componenttest.NewNopHost(),
		"not elector": electorHost{ext: newFileStorage(t, "").ext},
	} {
		t.Run(name, func(t *testing.T) {
			rcv, err := NewFactory().CreateLogs(t.Context(), receivertest.NewNopSettings(metadata.Type), cfg, &flakyLogs{})
			require.NoError(t, err)
			err = rcv.Start(t.Context(), host)
			require.ErrorContains(t, err, "k8s_leader_elector")
			require.NoError(t, rcv.Shutdown(context.Background()))
		})
	}
}
