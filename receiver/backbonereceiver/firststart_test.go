package backbonereceiver

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
)

// firstStartTree writes 20 messages that need a person (in error/ and SEND/error/ of both
// connectors of INT-16), one held in sequence-error/ and one in each folder where no one
// needs to act, and returns the record lines briefRecords gives the 20 when they are found
// at start, in the order they are delivered, and the held one's path.
func firstStartTree(t *testing.T, root string) (blocked []string, held string) {
	t.Helper()
	const pb30 = "default/INT-16/PB-30/"
	needPerson := map[string]string{}
	for i := range 8 {
		needPerson[fmt.Sprintf("%serror/AP-%d/%06d.bac", ap29Recv, 100+i%3, i)] = "backbone.message.error ERROR"
	}
	for i := range 2 {
		needPerson[fmt.Sprintf("%sRECEIVE/error/PB-7/%06d.bac", pb30, 10+i)] = "backbone.message.error ERROR"
	}
	for i := range 6 {
		needPerson[fmt.Sprintf("%sSEND/error/%06d.bac", ap29, 20+i)] = "backbone.message.send_error ERROR"
	}
	for i := range 4 {
		needPerson[fmt.Sprintf("%sSEND/error/%06d.bac", pb30, 30+i)] = "backbone.message.send_error ERROR"
	}
	held = ap29Recv + "sequence-error/000040.bac"
	for _, rel := range slices.Concat(slices.Sorted(maps.Keys(needPerson)), []string{
		held,
		ap29Recv + "000041.bac", ap29Recv + "archive/000042.bac", ap29Recv + "invalid/000043.part",
		ap29Recv + "discard/000044.bac", ap29 + "SEND/000045.bac",
	}) {
		putMessageFile(t, root, rel, 1, eventsMTime)
	}
	for _, rel := range slices.Sorted(maps.Keys(needPerson)) { // delivered in the order of their paths
		blocked = append(blocked, needPerson[rel]+" "+rel+" found_at_start")
	}
	require.Len(t, blocked, 20)
	return blocked, held
}

// TestFirstStart starts the receiver without stored state on a tree where 20 messages need
// a person, one waits in sequence-error/ since well before stuck_after, and others lie
// where no one needs to act (archive/, invalid/ with its event on, discard/, RECEIVE/,
// SEND/). needs_attention announces the 20 at the first scan, once, marked as found at
// start and timed when found, and the held one once it has stayed stuck_after from then,
// across a restart; with storage, the restart announces nothing again, without it every
// start is a first start. end announces none of them.
func TestFirstStart(t *testing.T) {
	const stuckAfter = time.Hour
	tests := []struct {
		desc    string
		startAt string
		storage bool
		found   bool // the first start announces what needs attention
		again   bool // and so does the restart: nothing was stored
	}{
		{desc: "needs_attention with storage", startAt: StartAtNeedsAttention, storage: true, found: true},
		{desc: "needs_attention without storage: every start is a first", startAt: StartAtNeedsAttention, found: true, again: true},
		{desc: "end", startAt: StartAtEnd, storage: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := newEventsTree(t)
			blocked, held := firstStartTree(t, root)
			heldLine := []string{"backbone.message.sequence_error WARN " + held + " found_at_start"}
			cfg := newEventsConfig(root, time.Nanosecond)
			enableAllEvents(cfg)
			cfg.StartAt = tt.startAt
			cfg.StuckAfter = stuckAfter
			storageDir := t.TempDir()
			host := func() component.Host {
				if !tt.storage {
					return componenttest.NewNopHost()
				}
				fs := newFileStorage(t, storageDir) // a new process: a new extension on the same directory
				cfg.Storage = &fs.id
				return fs
			}
			// The messages entered their folders two stuck_after before the first start.
			clock := newTestClock()
			clock.Add(2 * stuckAfter)
			start := func() *stepScraper {
				s := newStepScraper(t, cfg, host())
				s.r.reader.now = clock.Now
				return s
			}
			step := func(s *stepScraper) []string {
				ld, err := s.step(t)
				require.NoError(t, err)
				return briefRecords(root, ld)
			}
			when := func(cond bool, lines []string) []string {
				if cond {
					return lines
				}
				return nil
			}

			first := start()
			ld, err := first.step(t)
			require.NoError(t, err)
			assert.Equal(t, when(tt.found, blocked), briefRecords(root, ld), "the 20 that need a person, and nothing else yet")
			for _, rl := range ld.ResourceLogs().All() {
				for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
					assert.Equal(t, clock.Now().UTC(), lr.Timestamp().AsTime(), "timed when found, not when it entered")
					assert.Equal(t, lr.ObservedTimestamp(), lr.Timestamp())
					assert.Contains(t, lr.Body().Str(), "; found at the receiver's first start, in its folder for 2h")
				}
			}
			assert.Empty(t, step(first), "once")
			clock.Add(stuckAfter / 2)
			assert.Empty(t, step(first), "the held message waits stuck_after from when it was found")
			first.stop(t)

			second := start()
			assert.Equal(t, when(tt.again, blocked), step(second), "the first scan after a restart")
			clock.Add(stuckAfter / 2)
			assert.Equal(t, when(tt.found && !tt.again, heldLine), step(second), "stuck_after after the first start")
			clock.Add(stuckAfter / 2)
			assert.Equal(t, when(tt.again, heldLine), step(second), "stuck_after after the restart, found again there")
			assert.Empty(t, step(second), "once")

			removeMessageFile(t, root, ap29+"SEND/error/000020.bac")
			assert.Equal(t, []string{"backbone.message.resolved INFO " + ap29 + "SEND/error/000020.bac"}, step(second))
		})
	}
}
