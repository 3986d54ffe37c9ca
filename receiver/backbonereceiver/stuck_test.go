package backbonereceiver

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
)

// TestStuckAfter checks stuck_after with real files, waits and a file storage: a message in
// sequence-error/ that heals sooner gives no record at all, one that stays gives exactly
// one, once, with the time it waited, and both hold across restarts.
func TestStuckAfter(t *testing.T) {
	const (
		stuckAfter = 300 * time.Millisecond
		heals      = ap29Recv + "sequence-error/000001.bac"
		stays      = ap29Recv + "sequence-error/000002.bac"
	)
	root := newEventsTree(t)
	fs := newFileStorage(t, "")
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.StartAt = StartAtBeginning
	cfg.Storage = &fs.id
	cfg.StuckAfter = stuckAfter

	written := time.Now()
	putMessageFile(t, root, heals, 1, eventsMTime)
	putMessageFile(t, root, stays, 1, eventsMTime)
	first := newStepScraper(t, cfg, fs)
	step := func(s *stepScraper) []string {
		ld, err := s.step(t)
		require.NoError(t, err)
		return briefRecords(root, ld)
	}
	assert.Empty(t, step(first), "not stuck yet")
	removeMessageFile(t, root, heals)
	assert.Empty(t, step(first), "healed before stuck_after: no event, no resolved record")
	first.stop(t)

	second := newStepScraper(t, cfg, fs)
	time.Sleep(stuckAfter - time.Since(written) + 50*time.Millisecond)
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

	third := newStepScraper(t, cfg, fs)
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
	cfg.EventsNotify = false
	cfg.EventsPollInterval = 50 * time.Millisecond
	cfg.StuckAfter = time.Second // long enough for the test to remove the healing one first
	run := startWatched(t, cfg, componenttest.NewNopHost())

	putMessageFile(t, root, heals, 1, eventsMTime)
	putMessageFile(t, root, stays, 1, eventsMTime)
	time.Sleep(100 * time.Millisecond) // a re-list or two see both
	removeMessageFile(t, root, heals)
	run.waitRecords(t, root, "backbone.message.sequence_error WARN "+stays)
	time.Sleep(200 * time.Millisecond) // more re-lists: nothing more to say
	assert.Equal(t, []string{"backbone.message.sequence_error WARN " + stays}, briefAllRecords(root, run.sink.AllLogs()))
}

// TestStuckAfterStartAtEnd checks that start_at end takes the messages present as seen, but
// reports one that becomes stuck after the start; one stuck already at the start is not news.
func TestStuckAfterStartAtEnd(t *testing.T) {
	const (
		stuckAfter = 300 * time.Millisecond
		before     = ap29Recv + "sequence-error/000001.bac" // stuck before the start
		after      = ap29Recv + "sequence-error/000002.bac" // becomes stuck after it
	)
	root := newEventsTree(t)
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.StartAt = StartAtEnd
	cfg.StuckAfter = stuckAfter
	putMessageFile(t, root, before, 1, eventsMTime)
	time.Sleep(stuckAfter + 50*time.Millisecond)
	written := time.Now()
	putMessageFile(t, root, after, 1, eventsMTime)

	s := newStepScraper(t, cfg, newFileStorage(t, ""))
	step := func() []string {
		ld, err := s.step(t)
		require.NoError(t, err)
		return briefRecords(root, ld)
	}
	assert.Empty(t, step(), "the start: both present, neither news yet")
	time.Sleep(stuckAfter - time.Since(written) + 50*time.Millisecond)
	assert.Equal(t, []string{"backbone.message.sequence_error WARN " + after}, step(),
		"only the one that became stuck after the start")
	assert.Empty(t, step(), "once")
}
