package backbonereceiver

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// TestStuckAfter checks stuck_after with real files, a clock moved by hand and a file
// storage: a message in sequence-error/ that heals sooner gives no record at all, one that
// stays gives exactly one, once, with the time it waited, and both hold across restarts.
func TestStuckAfter(t *testing.T) {
	const (
		stuckAfter = time.Hour
		heals      = ap29Recv + "sequence-error/000001.bac"
		stays      = ap29Recv + "sequence-error/000002.bac"
	)
	root := newEventsTree(t)
	fs := newFileStorage(t, "")
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.StartAt = StartAtBeginning
	cfg.Storage = &fs.id
	cfg.StuckAfter = stuckAfter

	putMessageFile(t, root, heals, 1, eventsMTime)
	putMessageFile(t, root, stays, 1, eventsMTime)
	clock := newTestClock() // the files entered their folder before it stands
	start := func() *stepScraper {
		s := newStepScraper(t, cfg, fs)
		s.r.reader.now = clock.Now
		return s
	}
	step := func(s *stepScraper) []string {
		ld, err := s.step(t)
		require.NoError(t, err)
		return briefRecords(root, ld)
	}
	first := start()
	assert.Empty(t, step(first), "not stuck yet")
	removeMessageFile(t, root, heals)
	assert.Empty(t, step(first), "healed before stuck_after: no event, no resolved record")
	first.stop(t)

	second := start()
	clock.Add(stuckAfter)
	ld, err := second.step(t)
	require.NoError(t, err)
	assert.Equal(t, []string{"backbone.message.sequence_error WARN " + stays}, briefRecords(root, ld),
		"stuck across the restart: reported once it has stayed stuck_after")
	lr := onlyRecord(ld)
	waited, ok := lr.Attributes().Get("backbone.message.time_in_folder")
	require.True(t, ok)
	assert.GreaterOrEqual(t, waited.Double(), stuckAfter.Seconds(), "the time it waited")
	assert.Contains(t, lr.Body().Str(), "; it has waited ")
	assert.Less(t, lr.Timestamp().AsTime(), lr.ObservedTimestamp().AsTime(), "the record's time is when it entered its folder")
	assert.Empty(t, step(second), "once")
	second.stop(t)

	third := start()
	assert.Empty(t, step(third), "not again after the next restart")
	removeMessageFile(t, root, stays)
	assert.Equal(t, []string{"backbone.message.resolved INFO " + stays}, step(third), "reported, so its departure is news")
}

// TestStuckAfterZero checks that stuck_after 0 reports on arrival, and that error/ is on
// arrival whatever stuck_after says.
func TestStuckAfterZero(t *testing.T) {
	const (
		held   = ap29Recv + "sequence-error/000001.bac"
		failed = ap29Recv + "error/AP-1/000002.bac"
	)
	tests := []struct {
		desc       string
		stuckAfter time.Duration
		want       []string
	}{
		{desc: "0: on arrival", stuckAfter: 0, want: []string{
			"backbone.message.error ERROR " + failed, "backbone.message.sequence_error WARN " + held,
		}},
		{desc: "an hour: error/ only", stuckAfter: time.Hour, want: []string{"backbone.message.error ERROR " + failed}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := newEventsTree(t)
			cfg := newEventsConfig(root, time.Nanosecond)
			cfg.StartAt = StartAtBeginning
			cfg.StuckAfter = tt.stuckAfter
			putMessageFile(t, root, held, 1, eventsMTime)
			putMessageFile(t, root, failed, 1, eventsMTime)
			ld, err := newStepScraper(t, cfg, newFileStorage(t, "")).step(t)
			require.NoError(t, err)
			assert.ElementsMatch(t, tt.want, briefRecords(root, ld))
		})
	}
}

// TestStuckAfterBetweenTicks checks that the re-lists between ticks report a message once
// it has stayed stuck_after, without waiting for the next full scan, and that one that
// healed sooner gives nothing.
func TestStuckAfterBetweenTicks(t *testing.T) {
	const (
		heals = ap29Recv + "sequence-error/000001.bac"
		stays = ap29Recv + "sequence-error/000002.bac"
	)
	root := newWatchedTree(t)
	require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.FromSlash(ap29Recv+"sequence-error")), 0o755))
	cfg := newEventsConfig(root, noTick)
	cfg.StuckAfter = time.Hour
	s := newStepScraper(t, cfg, componenttest.NewNopHost())
	clock := newTestClock()
	s.r.reader.now = clock.Now
	snap := s.r.tick(t.Context(), stepDue()) // the first start: the folders are empty
	watched := queuetree.WatchedFolders(snap.tree, func(queuetree.Folder) bool { return true })
	relist := func() []string {
		before := s.next.offeredCount()
		s.r.relist(t.Context(), watched, false, stepDue())
		ld, err := s.next.offeredSince(before)
		require.NoError(t, err)
		return briefRecords(root, ld)
	}

	putMessageFile(t, root, heals, 1, eventsMTime)
	putMessageFile(t, root, stays, 1, eventsMTime)
	assert.Empty(t, relist(), "both seen, neither stuck yet")
	removeMessageFile(t, root, heals)
	clock.Add(cfg.StuckAfter)
	assert.Equal(t, []string{"backbone.message.sequence_error WARN " + stays}, relist())
	assert.Empty(t, relist(), "nothing more to say")
}

// TestStuckAfterStartAtEnd checks that start_at end takes the messages present as seen, but
// reports one that becomes stuck after the start; one stuck already at the start is not news.
func TestStuckAfterStartAtEnd(t *testing.T) {
	const (
		stuckAfter = time.Hour
		before     = ap29Recv + "sequence-error/000001.bac" // stuck before the start
		after      = ap29Recv + "sequence-error/000002.bac" // becomes stuck after it
	)
	root := newEventsTree(t)
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.StartAt = StartAtEnd
	cfg.StuckAfter = stuckAfter
	putMessageFile(t, root, before, 1, eventsMTime)
	clock := newTestClock()
	clock.Add(stuckAfter)
	// Written now by the test's clock: its modification time is after its change time.
	putMessageFile(t, root, after, 1, clock.Now())

	s := newStepScraper(t, cfg, newFileStorage(t, ""))
	s.r.reader.now = clock.Now
	step := func() []string {
		ld, err := s.step(t)
		require.NoError(t, err)
		return briefRecords(root, ld)
	}
	assert.Empty(t, step(), "the start: both present, neither news yet")
	clock.Add(stuckAfter)
	assert.Equal(t, []string{"backbone.message.sequence_error WARN " + after}, step(),
		"only the one that became stuck after the start")
	assert.Empty(t, step(), "once")
}
