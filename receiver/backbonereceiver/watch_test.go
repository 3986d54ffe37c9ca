package backbonereceiver

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadatatest"
)

// noTick is a collection interval no test waits for: whatever a test sees after the first
// tick came from a re-list.
const noTick = time.Hour

// waitDeadline is generous: these tests prove that events come between ticks, not how fast.
const waitDeadline = 10 * time.Second

// watchedRun is a receiver started as the collector starts it, in a logs pipeline.
type watchedRun struct {
	rcv     receiver.Logs
	sink    *flakyLogs
	logs    *observer.ObservedLogs
	stopped bool
}

// stop shuts the receiver down; later calls do nothing.
func (w *watchedRun) stop(t *testing.T) {
	t.Helper()
	if !w.stopped {
		w.stopped = true
		require.NoError(t, w.rcv.Shutdown(context.Background()))
	}
}

// startWatched starts a logs receiver for cfg on host and waits for its first tick.
func startWatched(t *testing.T, cfg *Config, host component.Host) *watchedRun {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tel)
	set.ID = eventsReceiverID
	core, logs := observer.New(zap.InfoLevel)
	set.Logger = zap.New(core)
	run := &watchedRun{sink: &flakyLogs{}, logs: logs}
	rcv, err := NewFactory().CreateLogs(t.Context(), set, cfg, run.sink)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(t.Context(), host))
	run.rcv = rcv
	t.Cleanup(func() { run.stop(t) })
	require.Eventually(t, func() bool { return scans(t, tel) > 0 }, waitDeadline, 5*time.Millisecond, "the first tick")
	return run
}

// waitRecords waits until the sink holds want, in order.
func (w *watchedRun) waitRecords(t *testing.T, root string, want ...string) {
	t.Helper()
	require.Eventually(t, func() bool { return len(briefAllRecords(root, w.sink.AllLogs())) >= len(want) },
		waitDeadline, 5*time.Millisecond, "records %v", want)
	assert.Equal(t, want, briefAllRecords(root, w.sink.AllLogs()))
}

// waitRecordsThenAnyOrder waits until the sink holds first, in order, followed by rest in
// any order.
func (w *watchedRun) waitRecordsThenAnyOrder(t *testing.T, root string, first []string, rest ...string) {
	t.Helper()
	n := len(first) + len(rest)
	require.Eventually(t, func() bool { return len(briefAllRecords(root, w.sink.AllLogs())) >= n },
		waitDeadline, 5*time.Millisecond, "records %v then %v", first, rest)
	got := briefAllRecords(root, w.sink.AllLogs())
	assert.Equal(t, first, got[:len(first)])
	assert.ElementsMatch(t, rest, got[len(first):])
}

// newWatchedTree is newEventsTree with AP-29's error folders in place, as Backbone leaves
// them once a message has failed.
func newWatchedTree(t *testing.T) string {
	t.Helper()
	root := newEventsTree(t)
	for _, dir := range []string{ap29Recv + "error", ap29 + "SEND/error"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.FromSlash(dir)), 0o755))
	}
	return root
}

func skipWithoutNotification(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("change notification is implemented for Linux only")
	}
}

// TestWatchNotified checks that with notification alone (no poll, no tick) a new message
// in error/<issue>/ (an issue folder made while watched) and in SEND/error/ is reported,
// and resolved when it leaves.
func TestWatchNotified(t *testing.T) {
	skipWithoutNotification(t)
	const (
		failed  = ap29Recv + "error/AP-5/000001.bac"
		unsent  = ap29 + "SEND/error/000002.bac"
		another = ap29Recv + "error/AP-5/000003.bac"
	)
	root := newWatchedTree(t)
	cfg := newEventsConfig(root, noTick)
	cfg.EventsPollInterval = 0
	run := startWatched(t, cfg, componenttest.NewNopHost())

	putMessageFile(t, root, failed, 10, eventsMTime)
	run.waitRecords(t, root, "backbone.message.error ERROR "+failed)
	putMessageFile(t, root, unsent, 10, eventsMTime)
	putMessageFile(t, root, another, 10, eventsMTime)
	// The two may be found by one re-list or two, so their order depends on timing.
	run.waitRecordsThenAnyOrder(t, root, []string{"backbone.message.error ERROR " + failed},
		"backbone.message.error ERROR "+another,
		"backbone.message.send_error ERROR "+unsent)
	removeMessageFile(t, root, failed)
	run.waitRecords(t, root, append(briefAllRecords(root, run.sink.AllLogs()), "backbone.message.resolved INFO "+failed)...)
}

// TestWatchFolderMadeLater checks that with notification alone (no poll, no tick) a message
// in a watched folder that did not exist at the full scan is reported: the folder is watched
// from its creation.
func TestWatchFolderMadeLater(t *testing.T) {
	skipWithoutNotification(t)
	const failed = "default/INT-16/PB-30/RECEIVE/error/PB-1/000001.bac" // error/ made after the scan
	root := newWatchedTree(t)
	require.NoDirExists(t, filepath.Join(root, filepath.FromSlash("default/INT-16/PB-30/RECEIVE/error")))
	cfg := newEventsConfig(root, noTick)
	cfg.EventsPollInterval = 0
	run := startWatched(t, cfg, componenttest.NewNopHost())

	putMessageFile(t, root, failed, 10, eventsMTime)
	run.waitRecords(t, root, "backbone.message.error ERROR "+failed)
}

// TestWatchPollOnly checks that with notification off, the poll alone reports a new
// message, including one in a folder that did not exist at the full scan.
func TestWatchPollOnly(t *testing.T) {
	const (
		unsent = ap29 + "SEND/error/000001.bac"
		failed = "default/INT-16/PB-30/RECEIVE/error/PB-1/000002.bac" // error/ made after the scan
	)
	root := newWatchedTree(t)
	cfg := newEventsConfig(root, noTick)
	cfg.EventsNotify = false
	cfg.EventsPollInterval = 100 * time.Millisecond
	run := startWatched(t, cfg, componenttest.NewNopHost())

	putMessageFile(t, root, unsent, 10, eventsMTime)
	run.waitRecords(t, root, "backbone.message.send_error ERROR "+unsent)
	putMessageFile(t, root, failed, 10, eventsMTime)
	run.waitRecords(t, root, "backbone.message.send_error ERROR "+unsent, "backbone.message.error ERROR "+failed)
	removeMessageFile(t, root, unsent)
	run.waitRecords(t, root, "backbone.message.send_error ERROR "+unsent, "backbone.message.error ERROR "+failed,
		"backbone.message.resolved INFO "+unsent)
}

// TestWatchFolderReplaced checks a watched folder removed and made again while watched:
// its messages are resolved at once, the watcher says once that it polls the folder, and
// the poll reports the message in the new folder without waiting for the next full scan.
func TestWatchFolderReplaced(t *testing.T) {
	skipWithoutNotification(t)
	const (
		before = ap29Recv + "error/AP-1/000001.bac"
		after  = ap29Recv + "error/AP-2/000002.bac"
	)
	root := newWatchedTree(t)
	cfg := newEventsConfig(root, noTick)
	cfg.EventsPollInterval = 100 * time.Millisecond
	run := startWatched(t, cfg, componenttest.NewNopHost())

	putMessageFile(t, root, before, 10, eventsMTime)
	run.waitRecords(t, root, "backbone.message.error ERROR "+before)
	require.NoError(t, os.RemoveAll(filepath.Join(root, filepath.FromSlash(ap29Recv+"error"))))
	run.waitRecords(t, root, "backbone.message.error ERROR "+before, "backbone.message.resolved INFO "+before)
	require.Eventually(t, func() bool {
		return run.logs.FilterMessageSnippet("removed or replaced while watched").Len() > 0
	}, waitDeadline, 5*time.Millisecond)

	putMessageFile(t, root, after, 10, eventsMTime)
	run.waitRecords(t, root, "backbone.message.error ERROR "+before, "backbone.message.resolved INFO "+before,
		"backbone.message.error ERROR "+after)
	assert.Equal(t, 1, run.logs.FilterMessageSnippet("removed or replaced while watched").Len(), "one line per state change")
}

// TestWatchRestartRepeatsNothing checks that records delivered between ticks are saved
// then: a restart on the same storage repeats none of them, and what changed while the
// receiver was down is reported once.
func TestWatchRestartRepeatsNothing(t *testing.T) {
	skipWithoutNotification(t)
	const (
		a = ap29Recv + "error/AP-1/000001.bac" // reported between ticks, then resolved
		b = ap29 + "SEND/error/000002.bac"     // reported between ticks, still there
		c = ap29Recv + "error/AP-3/000003.bac" // appears while the receiver is down
		d = ap29Recv + "error/AP-4/000004.bac" // after the restart
	)
	root := newWatchedTree(t)
	storageDir := t.TempDir()
	fs := newFileStorage(t, storageDir)
	cfg := newEventsConfig(root, noTick)
	cfg.Storage = &fs.id
	cfg.EventsPollInterval = 0

	first := startWatched(t, cfg, fs)
	putMessageFile(t, root, a, 10, eventsMTime)
	putMessageFile(t, root, b, 10, eventsMTime)
	first.waitRecords(t, root, "backbone.message.error ERROR "+a, "backbone.message.send_error ERROR "+b)
	removeMessageFile(t, root, a)
	first.waitRecords(t, root, "backbone.message.error ERROR "+a, "backbone.message.send_error ERROR "+b,
		"backbone.message.resolved INFO "+a)
	first.stop(t)
	require.NoError(t, fs.ext.Shutdown(context.Background()))

	putMessageFile(t, root, c, 10, eventsMTime)
	fs = newFileStorage(t, storageDir)
	second := startWatched(t, cfg, fs)
	second.waitRecords(t, root, "backbone.message.error ERROR "+c)
	putMessageFile(t, root, d, 10, eventsMTime)
	second.waitRecords(t, root, "backbone.message.error ERROR "+c, "backbone.message.error ERROR "+d)
}

// TestWatchFollowsEventSwitches checks which folders a full scan hands to the watcher: those
// whose event is switched on, of every connector, and never archive/ or the other folders
// without events.
func TestWatchFollowsEventSwitches(t *testing.T) {
	tests := []struct {
		desc   string
		modify func(*Config)
		want   []string // folders of one connector, below it
	}{
		{desc: "defaults", modify: func(*Config) {},
			want: []string{"RECEIVE/error", "RECEIVE/sequence-error", "SEND/error"}},
		{desc: "every event", modify: enableAllEvents,
			want: []string{"RECEIVE/error", "RECEIVE/issue-missing", "RECEIVE/sequence-error", "RECEIVE/offline", "RECEIVE/invalid", "SEND/error"}},
		{desc: "send errors only", modify: func(c *Config) {
			c.Events.BackboneMessageError.Enabled = false
			c.Events.BackboneMessageSequenceError.Enabled = false
		}, want: []string{"SEND/error"}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := newWatchedTree(t)
			cfg := newEventsConfig(root, noTick)
			tt.modify(cfg)
			s := newStepScraper(t, cfg, componenttest.NewNopHost())
			w := newFolderWatch(cfg, zap.NewNop())
			w.update(s.r.tick(t.Context(), stepDue()).tree)
			var got []string
			for _, p := range watchedPaths(w.pollFolders()) {
				rel, err := filepath.Rel(filepath.Join(root, "default", "INT-16"), p)
				require.NoError(t, err)
				got = append(got, filepath.ToSlash(rel))
			}
			var want []string
			for _, c := range []string{"AP-29", "PB-30"} {
				for _, f := range tt.want {
					want = append(want, c+"/"+f)
				}
			}
			assert.Equal(t, want, got)
		})
	}
}
