package backbonereceiver

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadatatest"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// burstTree puts n error messages into AP-29's error folder, one after the other, with
// names of nameLen characters; it returns their paths below root in the order they entered
// the folder, the order of their records.
func burstTree(t *testing.T, n, nameLen int) (root string, rels []string) {
	t.Helper()
	root = newEventsTree(t)
	for i := range n {
		name := fmt.Sprintf("%06d.bac", i)
		name = strings.Repeat("x", max(nameLen-len(name), 0)) + name
		rel := fmt.Sprintf("%serror/AP-%d/%s", ap29Recv, i%7, name)
		putMessageFile(t, root, rel, 1, eventsMTime.Add(time.Duration(i)*time.Second))
		rels = append(rels, rel)
	}
	return root, entryOrder(t, root, rels)
}

// entryOrder sorts rels, message paths below root, as their records go out: by the time
// each entered its folder as the scanner reads it (files written in a row may share one
// tick of the file system's clock), then by path.
func entryOrder(t *testing.T, root string, rels []string) []string {
	t.Helper()
	entered := map[string]time.Time{}
	tree := queuetree.NewScanner(queuetree.Options{Root: root}).Scan(t.Context())
	for _, c := range tree.Connectors {
		for i := range c.Folders {
			for _, f := range c.Folders[i].Files {
				entered[relToRoot(root, f.Path)] = f.Entered
			}
		}
	}
	out := slices.Clone(rels)
	slices.SortStableFunc(out, func(a, b string) int {
		require.Contains(t, entered, a)
		return cmp.Or(entered[a].Compare(entered[b]), strings.Compare(a, b))
	})
	return out
}

// requestPaths lists the file paths of each request the consumer was offered.
func requestPaths(root string, f *flakyLogs) [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][]string
	for _, ld := range f.offered {
		var paths []string
		for _, rl := range ld.ResourceLogs().All() {
			for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
				p, _ := lr.Attributes().Get("file.path")
				paths = append(paths, relToRoot(root, p.Str()))
			}
		}
		out = append(out, paths)
	}
	return out
}

// TestDeliveryInRequests checks that a burst goes out in one tick, oldest first, in
// requests of at most max_events_per_request records, and that the tracker counts each
// request delivered: nothing is offered twice.
func TestDeliveryInRequests(t *testing.T) {
	root, rels := burstTree(t, 50, 0)
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.StartAt = StartAtBeginning
	cfg.MaxEventsPerRequest = 7
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	s := newStepScraperWith(t, cfg, componenttest.NewNopHost(), metadatatest.NewSettings(tel))

	_, err := s.step(t)
	require.NoError(t, err)
	requests := requestPaths(root, s.next)
	require.Len(t, requests, 8, "50 records in requests of at most 7")
	var all []string
	for _, r := range requests {
		assert.LessOrEqual(t, len(r), 7)
		all = append(all, r...)
	}
	assert.Equal(t, rels, all, "every record once, in the order the messages failed")
	metadatatest.AssertEqualBackboneEventsPending(t, tel, []metricdata.DataPoint[int64]{{Value: 0}}, metricdatatest.IgnoreTimestamp())

	_, err = s.step(t)
	require.NoError(t, err)
	assert.Len(t, requestPaths(root, s.next), 8, "nothing offered again")
}

// TestDeliveryRefusedKeepsTheRest checks that a refused request stops the tick's delivery
// with its events still pending and the pending gauge saying how many.
func TestDeliveryRefusedKeepsTheRest(t *testing.T) {
	root, rels := burstTree(t, 20, 0)
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.StartAt = StartAtBeginning
	cfg.MaxEventsPerRequest = 5
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	s := newStepScraperWith(t, cfg, componenttest.NewNopHost(), metadatatest.NewSettings(tel))
	calls := 0
	s.next.refuse = func(plog.Logs) error {
		calls++
		if calls == 3 {
			return errRefused
		}
		return nil
	}
	_, err := s.step(t)
	require.ErrorIs(t, err, errRefused)
	metadatatest.AssertEqualBackboneEventsPending(t, tel, []metricdata.DataPoint[int64]{{Value: 10}}, metricdatatest.IgnoreTimestamp())

	_, err = s.step(t)
	require.NoError(t, err)
	assert.Equal(t, rels, briefPaths(root, s.next.AllLogs()), "each record accepted once, in order")
	metadatatest.AssertEqualBackboneEventsPending(t, tel, []metricdata.DataPoint[int64]{{Value: 0}}, metricdatatest.IgnoreTimestamp())
}

// TestDeliveryPermanentRefusal checks that a request refused for good is split until the
// one record the consumer will never take is found: that record alone is dropped, counted
// and logged once; every other record arrives once, in order.
func TestDeliveryPermanentRefusal(t *testing.T) {
	root, rels := burstTree(t, 30, 0)
	poison := rels[17]
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.StartAt = StartAtBeginning
	cfg.MaxEventsPerRequest = 8
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tel)
	core, logs := observer.New(zap.InfoLevel)
	set.Logger = zap.New(core)
	s := newStepScraperWith(t, cfg, componenttest.NewNopHost(), set)
	s.next.refuse = func(ld plog.Logs) error {
		if strings.Contains(strings.Join(briefPaths(root, []plog.Logs{ld}), " "), poison) {
			return consumererror.NewPermanent(fmt.Errorf("refused for good"))
		}
		return nil
	}
	_, err := s.step(t)
	require.NoError(t, err)
	want := append(append([]string{}, rels[:17]...), rels[18:]...)
	assert.Equal(t, want, briefPaths(root, s.next.AllLogs()))
	metadatatest.AssertEqualBackboneEventsDropped(t, tel, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	assert.Equal(t, 1, logs.FilterMessageSnippet("refused a message event for good").Len())
}

// TestDeliveryRequestSize checks that requests stay under maxRequestBytes of OTLP protobuf
// whatever max_events_per_request allows: records with long file names are sent in more,
// smaller requests.
func TestDeliveryRequestSize(t *testing.T) {
	root, rels := burstTree(t, 1000, 240)
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.StartAt = StartAtBeginning
	s := newStepScraper(t, cfg, componenttest.NewNopHost())
	_, err := s.step(t)
	require.NoError(t, err)
	requests := 0
	for _, ld := range s.next.AllLogs() {
		requests++
		assert.LessOrEqual(t, (&plog.ProtoMarshaler{}).LogsSize(ld), maxRequestBytes)
	}
	assert.Greater(t, requests, 1, "1,000 records with long names do not fit in one request")
	assert.Equal(t, rels, briefPaths(root, s.next.AllLogs()))
}

// briefPaths lists the file paths of the records, in order.
func briefPaths(root string, lds []plog.Logs) []string {
	var out []string
	for _, ld := range lds {
		for _, rl := range ld.ResourceLogs().All() {
			for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
				p, _ := lr.Attributes().Get("file.path")
				out = append(out, relToRoot(root, p.Str()))
			}
		}
	}
	return out
}

// TestRelistWaitsForTickAfterRefusal checks that a re-list between ticks does not offer
// records to a pipeline that refused the last ones (a change every few milliseconds must not
// become a request every few milliseconds to a backend that is down), and that the next
// tick offers everything pending, in order.
func TestRelistWaitsForTickAfterRefusal(t *testing.T) {
	const first, second = ap29Recv + "error/AP-1/000001.bac", ap29Recv + "error/AP-1/000002.bac"
	root := newEventsTree(t)
	s := newStepScraper(t, newEventsConfig(root, time.Nanosecond), componenttest.NewNopHost())
	snap := s.r.tick(t.Context(), stepDue()) // start_at: end, the tree is empty
	watched := queuetree.WatchedFolders(snap.tree, func(queuetree.Folder) bool { return true })

	s.next.fail.Store(true)
	putMessageFile(t, root, first, 1, eventsMTime)
	_, err := s.step(t)
	require.ErrorIs(t, err, errRefused)
	offered := s.next.offeredCount()

	putMessageFile(t, root, second, 1, eventsMTime.Add(time.Second))
	s.r.relist(t.Context(), watched, stepDue())
	assert.Equal(t, offered, s.next.offeredCount(), "no request to a refusing pipeline between ticks")

	s.next.fail.Store(false)
	_, err = s.step(t)
	require.NoError(t, err)
	assert.Equal(t, []string{first, second}, briefPaths(root, s.next.AllLogs()))
}
