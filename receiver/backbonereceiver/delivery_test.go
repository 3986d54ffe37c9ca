package backbonereceiver

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadatatest"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/msgtrack"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/sharedcomponent"
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
	snap := s.r.tick(t.Context(), stepDue()) // the first start: the tree is empty
	watched := queuetree.WatchedFolders(snap.tree, func(queuetree.Folder) bool { return true })

	s.next.fail.Store(true)
	putMessageFile(t, root, first, 1, eventsMTime)
	_, err := s.step(t)
	require.ErrorIs(t, err, errRefused)
	offered := s.next.offeredCount()

	putMessageFile(t, root, second, 1, eventsMTime.Add(time.Second))
	s.r.relist(t.Context(), watched, false, stepDue())
	assert.Equal(t, offered, s.next.offeredCount(), "no request to a refusing pipeline between ticks")

	s.next.fail.Store(false)
	_, err = s.step(t)
	require.NoError(t, err)
	assert.Equal(t, []string{first, second}, briefPaths(root, s.next.AllLogs()))
}

// TestDeliveryUnanswered checks a logs consumer that has not answered when the next tick is
// due: that tick's metrics go out while it is still blocked, nothing more is offered to it
// meanwhile, and once it answers its answer counts as if it had come in time: an accepted
// request is not offered again, a refused one is (at the next tick, as any refusal), and
// every record is accepted once, in order.
func TestDeliveryUnanswered(t *testing.T) {
	const first, second = ap29Recv + "error/AP-1/000001.bac", ap29Recv + "error/AP-2/000002.bac"
	tests := []struct {
		desc    string
		answer  error
		offered [][]string
	}{
		{desc: "accepted late", answer: nil, offered: [][]string{{first}, {second}}},
		{desc: "refused late", answer: errRefused, offered: [][]string{{first}, {first, second}}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := newEventsTree(t)
			cfg := newEventsConfig(root, time.Nanosecond)
			cfg.StartAt = StartAtBeginning
			set := metadatatest.NewSettings(componenttest.NewTelemetry())
			core, logs := observer.New(zap.InfoLevel)
			set.Logger = zap.New(core)
			s := newStepScraperWith(t, cfg, componenttest.NewNopHost(), set)
			release := make(chan struct{})
			calls := 0 // read by the test only once the consumer has answered
			s.next.refuse = func(plog.Logs) error {
				calls++
				if calls == 1 {
					<-release // ignores its context, as a consumer may
					return tt.answer
				}
				return nil
			}

			putMessageFile(t, root, first, 1, eventsMTime)
			s.r.tick(t.Context(), time.Now().Add(10*time.Millisecond))
			<-s.r.metrics.call.done // the first tick's metrics, answered in time or not
			putMessageFile(t, root, second, 1, eventsMTime.Add(time.Second))
			s.r.tick(t.Context(), stepDue())
			assert.Len(t, s.metrics.AllMetrics(), 2, "the next tick's metrics, with the logs consumer still blocked")
			assert.Equal(t, 1, logs.FilterMessageSnippet("had not answered a request of message events").Len())

			close(release)
			<-s.r.events.call.done
			for range 2 { // a refusal, late or not, is offered again at the next tick
				_, err := s.step(t)
				require.NoError(t, err)
			}
			assert.Equal(t, tt.offered, requestPaths(root, s.next), "nothing offered while blocked; then what it did not accept")
			assert.Equal(t, []string{first, second}, briefPaths(root, s.next.AllLogs()), "each record accepted once, in order")
		})
	}
}

// TestDeliveryUnansweredThenCapped checks an unanswered request whose events the pending
// cap drops before it answers: the answer counts none of the events that took their place
// as delivered, and each of those reaches the consumer.
func TestDeliveryUnansweredThenCapped(t *testing.T) {
	rel := func(i int) string { return fmt.Sprintf("%serror/AP-%d/%06d.bac", ap29Recv, i, i) }
	root := newEventsTree(t)
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.StartAt = StartAtBeginning
	s := newStepScraper(t, cfg, componenttest.NewNopHost())
	s.r.events.tracker = msgtrack.New(2)
	release := make(chan struct{})
	blocked := true // read by the consumer's first call only
	s.next.refuse = func(plog.Logs) error {
		if blocked {
			blocked = false
			<-release
		}
		return nil
	}

	putMessageFile(t, root, rel(1), 1, eventsMTime)
	s.r.tick(t.Context(), time.Now())
	putMessageFile(t, root, rel(2), 1, eventsMTime.Add(time.Second))
	putMessageFile(t, root, rel(3), 1, eventsMTime.Add(2*time.Second))
	s.r.tick(t.Context(), stepDue()) // three pending: the cap drops the one in flight
	close(release)
	<-s.r.events.call.done
	_, err := s.step(t)
	require.NoError(t, err)
	assert.Equal(t, [][]string{{rel(1)}, {rel(2), rel(3)}}, requestPaths(root, s.next))
}

// blockedConsumer blocks every call until released, ignoring its context, and counts them.
type blockedConsumer struct {
	calls   atomic.Int64
	release chan struct{}
}

func (b *blockedConsumer) consume(context.Context) error {
	b.calls.Add(1)
	<-b.release
	return nil
}

// TestPipelinesDoNotHoldEachOtherUp runs one config in a metrics and a logs pipeline, as the
// collector does, one of whose consumers blocks: the other pipeline is served every
// interval meanwhile, the blocked one is offered nothing more, and Shutdown returns with
// the consumer still blocked, having closed the storage client and the watcher (its
// goroutines end).
func TestPipelinesDoNotHoldEachOtherUp(t *testing.T) {
	skipWithoutNotification(t)
	for _, blocked := range []string{"logs", "metrics"} {
		t.Run(blocked+" consumer blocked", func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			root := newWatchedTree(t)
			putMessageFile(t, root, ap29Recv+"error/AP-1/000001.bac", 1, eventsMTime)
			fs := newFileStorage(t, "")
			cfg := newEventsConfig(root, 20*time.Millisecond)
			cfg.StartAt = StartAtBeginning
			cfg.Storage = &fs.id
			set := receivertest.NewNopSettings(metadata.Type)
			set.ID = eventsReceiverID

			block := &blockedConsumer{release: make(chan struct{})}
			metricsSink, logsSink := &consumertest.MetricsSink{}, &consumertest.LogsSink{}
			var (
				nextMetrics consumer.Metrics = metricsSink
				nextLogs    consumer.Logs    = logsSink
			)
			if blocked == "logs" {
				nextLogs, _ = consumer.NewLogs(func(ctx context.Context, _ plog.Logs) error { return block.consume(ctx) })
			} else {
				nextMetrics, _ = consumer.NewMetrics(func(ctx context.Context, _ pmetric.Metrics) error { return block.consume(ctx) })
			}
			f := NewFactory()
			mr, err := f.CreateMetrics(t.Context(), set, cfg, nextMetrics)
			require.NoError(t, err)
			lr, err := f.CreateLogs(t.Context(), set, cfg, nextLogs)
			require.NoError(t, err)
			require.NoError(t, mr.Start(t.Context(), fs))
			require.NoError(t, lr.Start(t.Context(), fs))

			if blocked == "logs" {
				require.Eventually(t, func() bool { return len(metricsSink.AllMetrics()) >= 3 }, waitDeadline, time.Millisecond,
					"the metrics of the next ticks")
			} else {
				require.Eventually(t, func() bool { return countRecords(logsSink.AllLogs()) == 1 }, waitDeadline, time.Millisecond)
				putMessageFile(t, root, ap29Recv+"error/AP-2/000002.bac", 1, eventsMTime)
				require.Eventually(t, func() bool { return countRecords(logsSink.AllLogs()) == 2 }, waitDeadline, time.Millisecond,
					"a record found after the metrics consumer blocked")
			}
			assert.Equal(t, int64(1), block.calls.Load(), "nothing more offered to the blocked consumer")

			r := mr.(*sharedcomponent.Component[*backboneReceiver]).Unwrap()
			require.NoError(t, lr.Shutdown(t.Context()))
			require.NoError(t, mr.Shutdown(t.Context()))
			_, err = r.events.storage.Get(t.Context(), msgtrack.StateKey)
			require.Error(t, err, "the storage client is closed")
			close(block.release)
		})
	}
}
