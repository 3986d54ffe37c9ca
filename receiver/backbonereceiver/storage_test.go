package backbonereceiver

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadatatest"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/msgtrack"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// TestStorageRestart stops the receiver and starts it again on the same tree, with and
// without a storage extension: with storage a restart neither repeats a delivered record
// nor skips what changed while it was down; without, start_at decides again.
func TestStorageRestart(t *testing.T) {
	const (
		present = ap29Recv + "error/AP-1/000001.bac" // there before the first start
		a       = ap29Recv + "error/AP-2/000002.bac" // reported in the first run
		b       = ap29Recv + "error/AP-3/000003.bac" // refused in the first run
		c       = ap29 + "SEND/error/000004.bac"     // appears while the receiver is down
	)
	tests := []struct {
		desc    string
		storage bool
		startAt string
		want    []string // what the second run reports, in order
	}{
		{
			desc: "with storage", storage: true, startAt: StartAtEnd,
			want: []string{
				"backbone.message.error ERROR " + b,      // refused before the restart
				"backbone.message.send_error ERROR " + c, // then in the order they happened
				"backbone.message.resolved INFO " + present,
				"backbone.message.resolved INFO " + a,
			},
		},
		{
			desc: "with storage and start_at beginning", storage: true, startAt: StartAtBeginning,
			want: []string{
				"backbone.message.error ERROR " + b,      // refused before the restart
				"backbone.message.send_error ERROR " + c, // then in the order they happened
				"backbone.message.resolved INFO " + present,
				"backbone.message.resolved INFO " + a,
			},
		},
		{
			desc: "without storage, start_at end: what is there is taken as seen", startAt: StartAtEnd,
			want: nil,
		},
		{
			desc: "without storage, start_at beginning: what is there is reported again", startAt: StartAtBeginning,
			want: []string{"backbone.message.error ERROR " + b, "backbone.message.send_error ERROR " + c},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := newEventsTree(t)
			putMessageFile(t, root, present, 1, eventsMTime)
			cfg := newEventsConfig(root, time.Nanosecond)
			cfg.StartAt = tt.startAt
			var host component.Host = componenttest.NewNopHost()
			storageDir := t.TempDir()
			if tt.storage {
				fs := newFileStorage(t, storageDir)
				cfg.Storage = &fs.id
				host = fs
			}

			first := newStepScraper(t, cfg, host)
			_, err := first.step(t)
			require.NoError(t, err)
			putMessageFile(t, root, a, 1, eventsMTime)
			_, err = first.step(t)
			require.NoError(t, err)
			first.next.fail.Store(true)
			putMessageFile(t, root, b, 1, eventsMTime)
			_, err = first.step(t)
			require.ErrorIs(t, err, errRefused)
			first.stop(t)
			delivered := briefAllRecords(root, first.next.AllLogs())

			removeMessageFile(t, root, present)
			removeMessageFile(t, root, a)
			putMessageFile(t, root, c, 1, eventsMTime)
			if tt.storage { // a new process: a new extension on the same directory
				fs := newFileStorage(t, storageDir)
				host = fs
			}
			second := newStepScraper(t, cfg, host)
			ld, err := second.step(t)
			require.NoError(t, err)
			assert.Equal(t, tt.want, briefRecords(root, ld))
			ld, err = second.step(t)
			require.NoError(t, err)
			assert.Zero(t, ld.LogRecordCount())
			if tt.storage {
				for _, line := range delivered {
					assert.NotContains(t, tt.want, line, "delivered before the restart")
				}
			}
		})
	}
}

// TestStorageBounded checks that the stored state holds the files of watched folders only
// and forgets them when they leave.
func TestStorageBounded(t *testing.T) {
	root := newEventsTree(t)
	for i := range 40 {
		putMessageFile(t, root, fmt.Sprintf("%serror/AP-%d/%06d.bac", ap29Recv, i, i), 1, eventsMTime)
		putMessageFile(t, root, fmt.Sprintf("%sarchive/%06d.bac", ap29Recv, i), 1, eventsMTime)
		putMessageFile(t, root, fmt.Sprintf("%sSEND/%06d.bac", ap29, i), 1, eventsMTime)
	}
	fs := newFileStorage(t, "")
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.Storage = &fs.id

	s := newStepScraper(t, cfg, fs)
	_, err := s.step(t)
	require.NoError(t, err)
	s.stop(t)
	assert.Equal(t, 40, fs.stored(t, eventsReceiverID).Known(), "only the error folder's files")

	for i := range 39 {
		removeMessageFile(t, root, fmt.Sprintf("%serror/AP-%d/%06d.bac", ap29Recv, i, i))
	}
	s = newStepScraper(t, cfg, fs)
	_, err = s.step(t)
	require.NoError(t, err)
	s.stop(t)
	state := fs.stored(t, eventsReceiverID)
	assert.Equal(t, 1, state.Known())
	assert.Zero(t, state.PendingCount(), "the resolved records were delivered")
}

// TestStorageWritesWhatChanged counts what ticks and re-lists write to storage with 2,000
// messages in error/: one write for the first tick, which takes them as seen, then, for a
// tick or re-list that finds a new message and delivers its record, one write of about that
// message's worth; nothing for a tick that finds nothing new.
func TestStorageWritesWhatChanged(t *testing.T) {
	root := newEventsTree(t)
	for i := range 2000 {
		putMessageFile(t, root, fmt.Sprintf("%serror/AP-%d/%06d.bac", ap29Recv, i%100, i), 1, eventsMTime)
	}
	fs := newFileStorage(t, "")
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.Storage = &fs.id
	s := newStepScraper(t, cfg, fs)
	snap := s.r.tick(t.Context(), stepDue())
	require.Equal(t, int64(1), fs.writes.Load())
	state := fs.bytes.Load()
	require.Greater(t, state, int64(2000*100), "the first tick writes every file")
	watched := queuetree.WatchedFolders(snap.tree, func(f queuetree.Folder) bool { return f == queuetree.Error })

	// The record was delivered before the write: only the known file is written, with its
	// JSON keys, and the time of the last full scan.
	const perMessage = 600
	for i, relist := range []bool{false, true, false, true} {
		writes, bytes := fs.writes.Load(), fs.bytes.Load()
		putMessageFile(t, root, fmt.Sprintf("%serror/AP-7/new-%d.bac", ap29Recv, i), 1, eventsMTime)
		before := s.next.offeredCount()
		if relist {
			s.r.relist(t.Context(), watched, false, stepDue())
		} else {
			s.r.tick(t.Context(), stepDue())
		}
		ld, err := s.next.offeredSince(before)
		require.NoError(t, err)
		require.Equal(t, 1, ld.LogRecordCount())
		assert.Equal(t, int64(1), fs.writes.Load()-writes, "listing %d: one write", i)
		assert.Less(t, fs.bytes.Load()-bytes, int64(perMessage), "listing %d: one message's worth, of %d bytes of state", i, state)
	}
	writes := fs.writes.Load()
	_, err := s.step(t)
	require.NoError(t, err)
	assert.Equal(t, writes, fs.writes.Load(), "nothing new, nothing written")
	s.stop(t)
	assert.Equal(t, 2004, fs.stored(t, eventsReceiverID).Known())
}

// TestStorageVersion2 starts the receiver on the state the previous version stored, the
// whole state in one value: its pending record is delivered first, what left meanwhile is
// resolved, and the value is rewritten in the current layout, which the next start reads
// without repeating anything.
func TestStorageVersion2(t *testing.T) {
	const (
		left    = ap29Recv + "error/AP-1/000001.bac" // known, gone while the collector was down
		pending = ap29Recv + "error/AP-2/000002.bac" // its record not yet delivered
		added   = ap29 + "SEND/error/000003.bac"     // appeared while the collector was down
	)
	root := newEventsTree(t)
	putMessageFile(t, root, pending, 1, eventsMTime)
	putMessageFile(t, root, added, 1, eventsMTime)
	message := func(rel, folder, issue string) string {
		return fmt.Sprintf(`{"integration":"INT-16","connector":"AP-29","folder":%q,"issue":%q,"name":%q,"path":%q,"size":1,"modTime":"2026-03-02T09:30:00Z"}`,
			folder, issue, filepath.Base(rel), filepath.Join(root, filepath.FromSlash(rel)))
	}
	v2 := `{"version":2,"known":[` + message(left, "error", "AP-1") + `,` + message(pending, "error", "AP-2") + `],` +
		`"pending":[{"kind":"appeared","message":` + message(pending, "error", "AP-2") + `,"observed":"2026-03-02T09:31:00Z"}],` +
		`"lastScan":"2026-03-02T09:31:00Z"}`
	fs := newFileStorage(t, "")
	client, err := fs.ext.GetClient(t.Context(), component.KindReceiver, eventsReceiverID, "")
	require.NoError(t, err)
	require.NoError(t, client.Set(t.Context(), msgtrack.StateKey, []byte(v2)))
	require.NoError(t, client.Close(t.Context()))

	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.Storage = &fs.id
	first := newStepScraper(t, cfg, fs)
	ld, err := first.step(t)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"backbone.message.error ERROR " + pending,
		"backbone.message.send_error ERROR " + added,
		"backbone.message.resolved INFO " + left,
	}, briefRecords(root, ld))
	first.stop(t)

	client, err = fs.ext.GetClient(t.Context(), component.KindReceiver, eventsReceiverID, "")
	require.NoError(t, err)
	data, err := client.Get(t.Context(), msgtrack.StateKey)
	require.NoError(t, err)
	require.NoError(t, client.Close(t.Context()))
	var head struct{ Version int }
	require.NoError(t, json.Unmarshal(data, &head))
	assert.Equal(t, 3, head.Version, "rewritten in the current layout")

	second := newStepScraper(t, cfg, fs)
	ld, err = second.step(t)
	require.NoError(t, err)
	assert.Zero(t, ld.LogRecordCount(), "nothing again after the migration")
	assert.Equal(t, 2, second.r.events.tracker.Known())
}

// TestStorageEventSwitchedOff checks a restart after an event was switched off: the files
// of its folder are forgotten without a resolved record, since they have not left.
func TestStorageEventSwitchedOff(t *testing.T) {
	const (
		missing = ap29Recv + "issue-missing/AP-7/000001.bac"
		failed  = ap29Recv + "error/AP-8/000002.bac"
	)
	root := newEventsTree(t)
	putMessageFile(t, root, missing, 1, eventsMTime)
	putMessageFile(t, root, failed, 1, eventsMTime)
	fs := newFileStorage(t, "")
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.Storage = &fs.id
	cfg.StartAt = StartAtBeginning
	cfg.Events.BackboneMessageIssueMissing.Enabled = true

	first := newStepScraper(t, cfg, fs)
	ld, err := first.step(t)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		"backbone.message.error ERROR " + failed, "backbone.message.issue_missing WARN " + missing,
	}, briefRecords(root, ld))
	first.stop(t)

	cfg.Events.BackboneMessageIssueMissing.Enabled = false
	second := newStepScraper(t, cfg, fs)
	ld, err = second.step(t)
	require.NoError(t, err)
	assert.Empty(t, briefRecords(root, ld), "the message is still waiting for its issue: nothing was resolved")
	assert.Equal(t, 1, second.r.events.tracker.Known(), "no state for a folder whose event is off")

	removeMessageFile(t, root, failed)
	ld, err = second.step(t)
	require.NoError(t, err)
	assert.Equal(t, []string{"backbone.message.resolved INFO " + failed}, briefRecords(root, ld))
}

// TestStorageUnreadableState checks that a stored value the receiver cannot read does not
// keep it from starting: it starts afresh as start_at says.
func TestStorageUnreadableState(t *testing.T) {
	const present = ap29Recv + "error/AP-1/000001.bac"
	tests := []struct {
		desc    string
		startAt string
		want    []string
	}{
		{desc: "start_at end", startAt: StartAtEnd},
		{desc: "start_at beginning", startAt: StartAtBeginning, want: []string{"backbone.message.error ERROR " + present}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := newEventsTree(t)
			putMessageFile(t, root, present, 1, eventsMTime)
			fs := newFileStorage(t, "")
			client, err := fs.ext.GetClient(t.Context(), component.KindReceiver, eventsReceiverID, "")
			require.NoError(t, err)
			require.NoError(t, client.Set(t.Context(), msgtrack.StateKey, []byte(`{"version":99}`)))
			require.NoError(t, client.Close(t.Context()))

			cfg := newEventsConfig(root, time.Nanosecond)
			cfg.Storage = &fs.id
			cfg.StartAt = tt.startAt
			s := newStepScraper(t, cfg, fs)
			ld, err := s.step(t)
			require.NoError(t, err)
			assert.Equal(t, tt.want, briefRecords(root, ld))
		})
	}
}

// TestStorageMissingExtension checks that a storage ID naming no storage extension fails the
// start with a message saying what to do.
func TestStorageMissingExtension(t *testing.T) {
	cfg := newEventsConfig(newEventsTree(t), time.Minute)
	id := component.MustNewID("file_storage")
	cfg.Storage = &id
	rcv, err := NewFactory().CreateLogs(t.Context(), receivertest.NewNopSettings(metadata.Type), cfg, &flakyLogs{})
	require.NoError(t, err)
	err = rcv.Start(t.Context(), componenttest.NewNopHost())
	require.ErrorContains(t, err, `storage extension "file_storage" not found`)
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// TestStorageRestartThroughController runs the logs receiver as the collector does, on the
// real file_storage extension, and restarts both: every record reaches the pipeline
// exactly once across the restart, refused ones included.
func TestStorageRestartThroughController(t *testing.T) {
	const (
		present = ap29Recv + "error/AP-1/000001.bac"
		a       = ap29Recv + "error/AP-2/000002.bac"
		b       = ap29Recv + "sequence-error/000003.bac"
		c       = ap29 + "SEND/error/000004.bac"
	)
	root := newEventsTree(t)
	putMessageFile(t, root, present, 1, eventsMTime)
	storageDir := t.TempDir()
	fs := newFileStorage(t, storageDir)
	cfg := newEventsConfig(root, 20*time.Millisecond)
	cfg.Storage = &fs.id
	cfg.StartAt = StartAtEnd
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tel)
	set.ID = eventsReceiverID

	sink := &flakyLogs{}
	rcv, err := NewFactory().CreateLogs(t.Context(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(t.Context(), fs))
	require.Eventually(t, func() bool { return scans(t, tel) > 0 }, 5*time.Second, 5*time.Millisecond, "the first tick took the files present as seen")
	putMessageFile(t, root, a, 1, eventsMTime)
	require.Eventually(t, func() bool { return countRecords(sink.AllLogs()) == 1 }, 5*time.Second, 5*time.Millisecond)
	sink.fail.Store(true)
	putMessageFile(t, root, b, 1, eventsMTime)
	require.Eventually(t, func() bool { return sink.refused.Load() >= 2 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, fs.ext.Shutdown(context.Background()))
	assert.Equal(t, []string{"backbone.message.error ERROR " + a}, briefAllRecords(root, sink.AllLogs()))

	// While the collector is down, the admin fixes two errors and a send fails.
	removeMessageFile(t, root, present)
	removeMessageFile(t, root, a)
	putMessageFile(t, root, c, 1, eventsMTime)

	fs = newFileStorage(t, storageDir)
	sink.fail.Store(false)
	sink.Reset()
	rcv, err = NewFactory().CreateLogs(t.Context(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(t.Context(), fs))
	want := []string{
		"backbone.message.sequence_error WARN " + b, // refused before the restart: first
		"backbone.message.send_error ERROR " + c,    // then in the order they happened
		"backbone.message.resolved INFO " + present,
		"backbone.message.resolved INFO " + a,
	}
	require.Eventually(t, func() bool { return countRecords(sink.AllLogs()) >= len(want) }, 5*time.Second, 5*time.Millisecond)
	ticks := scans(t, tel)
	require.Eventually(t, func() bool { return scans(t, tel) >= ticks+3 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, rcv.Shutdown(context.Background()))
	assert.Equal(t, want, briefAllRecords(root, sink.AllLogs()), "each record once, none of the first run's again")
}
