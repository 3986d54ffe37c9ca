package backbonereceiver

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// eventsTreeFiles puts one message in every folder of AP-29 and PB-30 of INT-16 and of
// SP-28 of the distributed INT-15: six watched folders, four that are not. It writes them
// in the order of their paths, so that the order they entered their folders (by the file
// system's clock, which may give several the same time) is the order of their paths.
func eventsTreeFiles(t *testing.T, root string) {
	t.Helper()
	files := map[string]int{
		ap29Recv + "000100.bac":                          10,
		ap29Recv + "archive/000090.bac":                  11,
		ap29Recv + "error/AP-123/000123.bac":             123,
		ap29Recv + "error/AP-123/000124.bac":             124,
		ap29Recv + "error/AP-200/000125.bac":             125,
		ap29Recv + "issue-missing/AP-7/000126.bac":       126,
		ap29Recv + "sequence-error/000127.bac":           127,
		ap29Recv + "offline/000128.bac":                  128,
		ap29Recv + "invalid/000129.bac.part":             129,
		ap29Recv + "discard/000089.bac":                  12,
		ap29 + "SEND/000200.bac":                         13,
		ap29 + "SEND/error/000201.bac":                   201,
		"default/INT-16/PB-30/SEND/error/000300.bac":     300,
		"default/INT-15/SP-28/RECEIVE/error/10001/1.bac": 1,
	}
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		putMessageFile(t, root, rel, files[rel], eventsMTime)
	}
}

// TestEventsMessageRecords compares the records of every kind of message event with golden
// files: one record per file of a watched folder, none for the other folders, the
// issue-missing, offline and invalid events only when switched on, and a resolved record
// for each file that left.
func TestEventsMessageRecords(t *testing.T) {
	tests := []struct {
		desc      string
		configure func(*Config)
		golden    string
	}{
		{desc: "default events", configure: func(*Config) {}, golden: "messages_default"},
		{desc: "all events", configure: enableAllEvents, golden: "messages_all"},
		{
			desc: "errors only",
			configure: func(cfg *Config) {
				cfg.Events.BackboneMessageSequenceError.Enabled = false
				cfg.Events.BackboneMessageSendError.Enabled = false
				cfg.Events.BackboneMessageResolved.Enabled = false
			},
			golden: "messages_errors_only",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := newEventsTree(t)
			written := time.Now()
			eventsTreeFiles(t, root)
			cfg := newEventsConfig(root, time.Nanosecond)
			cfg.StartAt = StartAtBeginning
			tt.configure(cfg)
			s := newStepScraper(t, cfg, componenttest.NewNopHost())

			before := time.Now()
			ld, err := s.step(t)
			require.NoError(t, err)
			compareEventsGolden(t, tt.golden, root, ld)
			entered := map[string]time.Time{}
			for _, rl := range ld.ResourceLogs().All() {
				for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
					// The file's modification time is days old; it entered its folder when
					// the test wrote it, by the file system's coarser clock.
					ts := lr.Timestamp().AsTime()
					assert.WithinRange(t, ts, written.Add(-time.Second), before, "timestamp is when the file entered its folder, not its modification time")
					assert.False(t, lr.ObservedTimestamp().AsTime().Before(before), "observed timestamp is when the scan saw it")
					p, _ := lr.Attributes().Get("file.path")
					entered[p.Str()] = ts
				}
			}

			// Every watched file leaves: the admin retried them all or Backbone moved them on.
			for _, rel := range []string{
				ap29Recv + "error/AP-123/000123.bac", ap29Recv + "error/AP-123/000124.bac", ap29Recv + "error/AP-200/000125.bac",
				ap29Recv + "issue-missing/AP-7/000126.bac", ap29Recv + "sequence-error/000127.bac",
				ap29Recv + "offline/000128.bac", ap29Recv + "invalid/000129.bac.part", ap29 + "SEND/error/000201.bac",
				"default/INT-16/PB-30/SEND/error/000300.bac", "default/INT-15/SP-28/RECEIVE/error/10001/1.bac",
			} {
				removeMessageFile(t, root, rel)
			}
			before = time.Now()
			ld, err = s.step(t)
			require.NoError(t, err)
			compareEventsGolden(t, tt.golden+"_resolved", root, ld)
			for _, rl := range ld.ResourceLogs().All() {
				for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
					seen := lr.ObservedTimestamp().AsTime()
					assert.False(t, seen.Before(before))
					assert.Equal(t, lr.ObservedTimestamp(), lr.Timestamp(), "a resolved record happens when the file is found gone")
					inFolder, ok := lr.Attributes().Get("backbone.message.time_in_folder")
					require.True(t, ok)
					p, _ := lr.Attributes().Get("file.path")
					require.Contains(t, entered, p.Str())
					assert.InDelta(t, seen.Sub(entered[p.Str()]).Seconds(), inFolder.Double(), 1e-6, "from when it entered its folder to the scan that found it gone")
				}
			}

			ld, err = s.step(t)
			require.NoError(t, err)
			assert.Zero(t, ld.LogRecordCount(), "nothing changed")
		})
	}
}

// TestEventsRecordText checks the exact body, severity and attributes of one record of each
// kind, as an on-call engineer reads them in any backend.
func TestEventsRecordText(t *testing.T) {
	root := newEventsTree(t)
	eventsTreeFiles(t, root)
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.StartAt = StartAtBeginning
	enableAllEvents(cfg)
	s := newStepScraper(t, cfg, componenttest.NewNopHost())
	ld, err := s.step(t)
	require.NoError(t, err)

	got := map[string]plog.LogRecord{}
	for _, rl := range ld.ResourceLogs().All() {
		for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
			p, _ := lr.Attributes().Get("file.path")
			got[relToRoot(root, p.Str())] = lr
		}
	}
	tests := []struct {
		desc, rel, event, folder, severity, body string
		issue                                    string
	}{
		{
			desc: "error", rel: ap29Recv + "error/AP-123/000123.bac", event: "backbone.message.error", folder: "error", severity: "ERROR",
			body: "message 000123.bac for issue AP-123 failed to apply in INT-16/AP-29", issue: "AP-123",
		},
		{
			desc: "sequence error", rel: ap29Recv + "sequence-error/000127.bac", event: "backbone.message.sequence_error", folder: "sequence_error", severity: "WARN",
			body: "message 000127.bac in INT-16/AP-29 is held back: an earlier message of its issue is missing",
		},
		{
			desc: "send error", rel: ap29 + "SEND/error/000201.bac", event: "backbone.message.send_error", folder: "send_error", severity: "ERROR",
			body: "message 000201.bac failed to be sent from INT-16/AP-29 to its partner",
		},
		{
			desc: "issue missing", rel: ap29Recv + "issue-missing/AP-7/000126.bac", event: "backbone.message.issue_missing", folder: "issue_missing", severity: "WARN",
			body: "message 000126.bac in INT-16/AP-29 waits for issue AP-7, which is not synchronized yet", issue: "AP-7",
		},
		{
			desc: "offline", rel: ap29Recv + "offline/000128.bac", event: "backbone.message.offline", folder: "offline", severity: "WARN",
			body: "message 000128.bac in INT-16/AP-29 was not applied because Jira was offline",
		},
		{
			desc: "invalid", rel: ap29Recv + "invalid/000129.bac.part", event: "backbone.message.invalid", folder: "invalid", severity: "WARN",
			body: "file 000129.bac.part in INT-16/AP-29 is not a Backbone message",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			lr, ok := got[tt.rel]
			require.True(t, ok, "no record for %s", tt.rel)
			assert.Equal(t, tt.event, lr.EventName())
			assert.Equal(t, tt.severity, lr.SeverityText())
			assert.Equal(t, tt.body, lr.Body().Str())
			want := map[string]any{
				"backbone.connector.key": "AP-29",
				"jira.project.key":       "AP",
				"backbone.folder":        tt.folder,
				"file.name":              filepath.Base(tt.rel),
				"file.path":              filepath.Join(root, filepath.FromSlash(tt.rel)),
				"file.size":              lr.Attributes().AsRaw()["file.size"],
				"event.name":             tt.event,
			}
			if tt.issue != "" {
				want["backbone.issue"] = tt.issue
			}
			if messageFolderOf(queuetree.Folder(tt.folder)).held {
				want["backbone.message.time_in_folder"] = 0.0 // stuck_after 0: reported on arrival
			}
			assert.Equal(t, want, lr.Attributes().AsRaw())
		})
	}
}

// TestEventsOnce checks that every appearance of a file gives exactly one record: a file
// that stays gives none after the first, a file that leaves and comes back is new again.
func TestEventsOnce(t *testing.T) {
	const (
		e1  = ap29Recv + "error/AP-123/000001.bac"
		e1b = ap29Recv + "error/AP-124/000001.bac"
		s1  = ap29Recv + "sequence-error/000002.bac"
	)
	type step struct {
		change func(t *testing.T, root string)
		want   []string
	}
	put := func(rel string) func(*testing.T, string) {
		return func(t *testing.T, root string) { putMessageFile(t, root, rel, 10, eventsMTime) }
	}
	remove := func(rel string) func(*testing.T, string) {
		return func(t *testing.T, root string) { removeMessageFile(t, root, rel) }
	}
	move := func(from, to string) func(*testing.T, string) {
		return func(t *testing.T, root string) { moveMessageFile(t, root, from, to) }
	}
	nothing := func(*testing.T, string) {}
	tests := []struct {
		desc  string
		steps []step
	}{
		{
			desc: "a file that stays yields one record",
			steps: []step{
				{put(e1), []string{"backbone.message.error ERROR " + e1}},
				{nothing, nil},
				{nothing, nil},
			},
		},
		{
			desc: "a file rewritten in place is the same appearance",
			steps: []step{
				{put(e1), []string{"backbone.message.error ERROR " + e1}},
				{func(t *testing.T, root string) { putMessageFile(t, root, e1, 99, eventsMTime.Add(time.Hour)) }, nil},
			},
		},
		{
			desc: "leaving and coming back is a new appearance",
			steps: []step{
				{put(e1), []string{"backbone.message.error ERROR " + e1}},
				{remove(e1), []string{"backbone.message.resolved INFO " + e1}},
				{nothing, nil},
				{put(e1), []string{"backbone.message.error ERROR " + e1}},
			},
		},
		{
			desc: "moved to another issue folder: resolved here, new there",
			steps: []step{
				{put(e1), []string{"backbone.message.error ERROR " + e1}},
				{move(e1, e1b), []string{"backbone.message.error ERROR " + e1b, "backbone.message.resolved INFO " + e1}},
			},
		},
		{
			desc: "retried into RECEIVE, then archived: resolved once",
			steps: []step{
				{put(s1), []string{"backbone.message.sequence_error WARN " + s1}},
				{move(s1, ap29Recv+"000002.bac"), []string{"backbone.message.resolved INFO " + s1}},
				{move(ap29Recv+"000002.bac", ap29Recv+"archive/000002.bac"), nil},
			},
		},
		{
			desc: "files in folders that need no admin yield nothing",
			steps: []step{
				{func(t *testing.T, root string) {
					for _, rel := range []string{ap29Recv + "1.bac", ap29Recv + "archive/2.bac", ap29Recv + "discard/3.bac", ap29 + "SEND/4.bac"} {
						putMessageFile(t, root, rel, 1, eventsMTime)
					}
				}, nil},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := newEventsTree(t)
			s := newStepScraper(t, newEventsConfig(root, time.Nanosecond), componenttest.NewNopHost())
			_, err := s.step(t) // the first start: the tree is empty
			require.NoError(t, err)
			for i, st := range tt.steps {
				st.change(t, root)
				ld, err := s.step(t)
				require.NoError(t, err)
				assert.Equal(t, st.want, briefRecords(root, ld), "step %d", i+1)
			}
		})
	}
}

// TestEventsNothingLost checks that a record counts as delivered only when the next
// consumer accepted it: refused records are offered again, with the newer ones after them,
// until the pipeline takes them, and then never again.
func TestEventsNothingLost(t *testing.T) {
	const (
		a = ap29Recv + "error/AP-1/000001.bac"
		b = ap29Recv + "error/AP-2/000002.bac"
	)
	root := newEventsTree(t)
	s := newStepScraper(t, newEventsConfig(root, time.Nanosecond), componenttest.NewNopHost())
	_, err := s.step(t)
	require.NoError(t, err)

	s.next.fail.Store(true)
	putMessageFile(t, root, a, 1, eventsMTime)
	ld, err := s.step(t)
	require.ErrorIs(t, err, errRefused)
	assert.Equal(t, []string{"backbone.message.error ERROR " + a}, briefRecords(root, ld))

	putMessageFile(t, root, b, 1, eventsMTime)
	ld, err = s.step(t)
	require.ErrorIs(t, err, errRefused)
	assert.Equal(t, []string{"backbone.message.error ERROR " + a, "backbone.message.error ERROR " + b}, briefRecords(root, ld),
		"the refused record again, then the new one")

	removeMessageFile(t, root, a)
	ld, err = s.step(t)
	require.ErrorIs(t, err, errRefused)
	assert.Equal(t, []string{
		"backbone.message.error ERROR " + a, "backbone.message.error ERROR " + b, "backbone.message.resolved INFO " + a,
	}, briefRecords(root, ld), "a file that left while its record waited still gets both records")

	s.next.fail.Store(false)
	ld, err = s.step(t)
	require.NoError(t, err)
	assert.Equal(t, 3, ld.LogRecordCount())
	ld, err = s.step(t)
	require.NoError(t, err)
	assert.Zero(t, ld.LogRecordCount(), "delivered records are not offered again")

	assert.Equal(t, int64(3), s.next.refused.Load())
	assert.Equal(t, []string{
		"backbone.message.error ERROR " + a, "backbone.message.error ERROR " + b, "backbone.message.resolved INFO " + a,
	}, briefAllRecords(root, s.next.AllLogs()), "the pipeline received each record once")
}

// TestEventsOrder checks that records reach the pipeline in the order their events
// happened, whatever their kind: a message that appeared and left while the pipeline
// refused records is reported as failed before it is reported as resolved.
func TestEventsOrder(t *testing.T) {
	const (
		s1 = ap29Recv + "sequence-error/000001.bac"
		e2 = ap29Recv + "error/AP-2/000002.bac"
		i3 = ap29Recv + "invalid/000003.part"
	)
	root := newEventsTree(t)
	cfg := newEventsConfig(root, time.Nanosecond)
	enableAllEvents(cfg)
	s := newStepScraper(t, cfg, componenttest.NewNopHost())
	_, err := s.step(t)
	require.NoError(t, err)

	s.next.fail.Store(true)
	putMessageFile(t, root, s1, 1, eventsMTime)
	_, err = s.step(t)
	require.ErrorIs(t, err, errRefused)
	removeMessageFile(t, root, s1)
	putMessageFile(t, root, i3, 1, eventsMTime)
	_, err = s.step(t)
	require.ErrorIs(t, err, errRefused)
	putMessageFile(t, root, e2, 1, eventsMTime)
	removeMessageFile(t, root, i3)
	s.next.fail.Store(false)
	ld, err := s.step(t)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"backbone.message.sequence_error WARN " + s1,
		"backbone.message.invalid WARN " + i3,
		"backbone.message.resolved INFO " + s1,
		"backbone.message.error ERROR " + e2,
		"backbone.message.resolved INFO " + i3,
	}, briefRecords(root, ld))
	for i, lr := range ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().All() {
		assert.NotEmpty(t, lr.Body().Str(), "record %d is described", i)
		if lr.EventName() == eventMessageResolved {
			assert.Contains(t, lr.Body().Str(), " left ", "record %d has its own event's text", i)
		}
	}
}

// TestEventsStartAt checks what the first start without stored state reports of the files
// already there: nothing with start_at: end, all of them with beginning, those that need a
// person with needs_attention, marked as found at start; files that appear later are
// reported either way.
func TestEventsStartAt(t *testing.T) {
	const (
		old   = ap29Recv + "error/AP-1/000001.bac"
		fresh = ap29Recv + "error/AP-2/000002.bac"
	)
	tests := []struct {
		desc    string
		startAt string
		storage bool
		first   []string
	}{
		{desc: "needs_attention", startAt: StartAtNeedsAttention, first: []string{"backbone.message.error ERROR " + old + " found_at_start"}},
		{
			desc: "needs_attention, first start with storage", startAt: StartAtNeedsAttention, storage: true,
			first: []string{"backbone.message.error ERROR " + old + " found_at_start"},
		},
		{desc: "end", startAt: StartAtEnd},
		{desc: "beginning", startAt: StartAtBeginning, first: []string{"backbone.message.error ERROR " + old}},
		{desc: "end, first start with storage", startAt: StartAtEnd, storage: true},
		{
			desc: "beginning, first start with storage", startAt: StartAtBeginning, storage: true,
			first: []string{"backbone.message.error ERROR " + old},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := newEventsTree(t)
			putMessageFile(t, root, old, 1, eventsMTime)
			cfg := newEventsConfig(root, time.Nanosecond)
			cfg.StartAt = tt.startAt
			var host component.Host = componenttest.NewNopHost()
			if tt.storage {
				fs := newFileStorage(t, "")
				cfg.Storage = &fs.id
				host = fs
			}
			s := newStepScraper(t, cfg, host)
			ld, err := s.step(t)
			require.NoError(t, err)
			assert.Equal(t, tt.first, briefRecords(root, ld))

			putMessageFile(t, root, fresh, 1, eventsMTime)
			ld, err = s.step(t)
			require.NoError(t, err)
			assert.Equal(t, []string{"backbone.message.error ERROR " + fresh}, briefRecords(root, ld))
		})
	}
}

// TestEventsStartAtNeedsAWholeScan checks that start_at end and needs_attention take the
// files present as their starting point only from a scan that got through the whole tree:
// after a first scan cut short, or one that could not read the root, the files it missed
// are not announced as new, but as start_at says of the files present.
func TestEventsStartAtNeedsAWholeScan(t *testing.T) {
	const later = ap29Recv + "error/AP-9/000009.bac"
	firsts := []struct {
		desc  string
		first func(t *testing.T, s *stepScraper, root string)
	}{
		{
			desc: "first scan cut short by the scrape's timeout",
			first: func(t *testing.T, s *stepScraper, _ string) {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				_, err := s.stepWith(ctx)
				require.NoError(t, err)
			},
		},
		{
			desc: "root unreadable at the first scan",
			first: func(t *testing.T, s *stepScraper, root string) {
				if os.Geteuid() == 0 {
					t.Skip("permissions do not apply to root")
				}
				require.NoError(t, os.Chmod(root, 0))
				defer func() { require.NoError(t, os.Chmod(root, 0o755)) }()
				_, err := s.step(t)
				require.NoError(t, err)
			},
		},
	}
	found := func(event, rel string) string { return event + " " + rel + " found_at_start" }
	starts := []struct {
		startAt string
		want    []string // of the first whole scan
	}{
		{startAt: StartAtEnd},
		{startAt: StartAtNeedsAttention, want: []string{ // those that need a person; sequence-error with stuck_after 0
			found("backbone.message.error ERROR", "default/INT-15/SP-28/RECEIVE/error/10001/1.bac"),
			found("backbone.message.error ERROR", ap29Recv+"error/AP-123/000123.bac"),
			found("backbone.message.error ERROR", ap29Recv+"error/AP-123/000124.bac"),
			found("backbone.message.error ERROR", ap29Recv+"error/AP-200/000125.bac"),
			found("backbone.message.sequence_error WARN", ap29Recv+"sequence-error/000127.bac"),
			found("backbone.message.send_error ERROR", ap29+"SEND/error/000201.bac"),
			found("backbone.message.send_error ERROR", "default/INT-16/PB-30/SEND/error/000300.bac"),
		}},
	}
	for _, st := range starts {
		for _, tt := range firsts {
			t.Run(st.startAt+", "+tt.desc, func(t *testing.T) {
				root := newEventsTree(t)
				eventsTreeFiles(t, root)
				cfg := newEventsConfig(root, time.Nanosecond)
				cfg.StartAt = st.startAt
				s := newStepScraper(t, cfg, componenttest.NewNopHost())
				tt.first(t, s, root)
				ld, err := s.step(t)
				require.NoError(t, err)
				assert.Equal(t, st.want, briefRecords(root, ld), "the files present at the start, as start_at says")

				putMessageFile(t, root, later, 1, eventsMTime)
				ld, err = s.step(t)
				require.NoError(t, err)
				assert.Equal(t, []string{"backbone.message.error ERROR " + later}, briefRecords(root, ld))
			})
		}
	}
}

// TestEventsBounded checks that the receiver keeps state only for the files of watched
// folders whose events are on, and forgets them when they leave.
func TestEventsBounded(t *testing.T) {
	root := newEventsTree(t)
	eventsTreeFiles(t, root) // 7 files with default events on, 3 more with all events
	for i := range 50 {
		putMessageFile(t, root, fmt.Sprintf("%sarchive/%06d.bac", ap29Recv, i), 1, eventsMTime) // never tracked
	}
	s := newStepScraper(t, newEventsConfig(root, time.Nanosecond), componenttest.NewNopHost())
	_, err := s.step(t)
	require.NoError(t, err)
	assert.Equal(t, 7, s.r.events.tracker.Known(), "error, sequence-error and send/error files only")

	removeMessageFile(t, root, ap29Recv+"error/AP-123/000123.bac")
	removeMessageFile(t, root, ap29Recv+"error/AP-123/000124.bac")
	removeMessageFile(t, root, "default/INT-15/SP-28/RECEIVE/error/10001/1.bac")
	_, err = s.step(t)
	require.NoError(t, err)
	assert.Equal(t, 4, s.r.events.tracker.Known())
	assert.Zero(t, s.r.events.tracker.PendingCount())
}

// TestEventsStateChanges drives the simulated Jira through integration states and connector
// outages: no event for the first observation, then one per change, WARN when leaving
// running or going offline and INFO otherwise, on the integration's resource.
func TestEventsStateChanges(t *testing.T) {
	sim, base := startEventsSim(t)
	cfg := newEventsConfig(sim.Dir(), time.Nanosecond)
	cfg.Endpoint, cfg.Username, cfg.Password = base, backbonesim.DefaultUsername, backbonesim.DefaultPassword
	s := newStepScraper(t, cfg, componenttest.NewNopHost())
	root := sim.Dir()

	ld, err := s.step(t)
	require.NoError(t, err)
	assert.Zero(t, ld.LogRecordCount(), "the first observation after a start is no change")

	var all []plog.Logs
	for i, tt := range []struct {
		change func() error
		want   []string
	}{
		{func() error { return sim.SetIntegrationStatus("INT-16", backbonesim.StatusStopped) },
			[]string{"backbone.integration.status_changed WARN running->stopped"}},
		{func() error { return nil }, nil},
		{func() error { return sim.SetIntegrationStatus("INT-16", "RESTART REQUIRED") },
			[]string{"backbone.integration.status_changed INFO stopped->restart_required"}},
		{func() error { return sim.SetIntegrationStatus("INT-16", backbonesim.StatusRunning) },
			[]string{"backbone.integration.status_changed INFO restart_required->running"}},
		{func() error { return sim.SetOnline("AP-29", false) },
			[]string{"backbone.connector.online_changed WARN AP-29 online=false"}},
		{func() error { return nil }, nil},
		{func() error { return sim.SetOnline("AP-29", true) },
			[]string{"backbone.connector.online_changed INFO AP-29 online=true"}},
		{func() error { return sim.SetOnline("SP-28", false) },
			[]string{"backbone.connector.online_changed WARN SP-28 online=false"}},
	} {
		require.NoError(t, tt.change())
		ld, err := s.step(t)
		require.NoError(t, err)
		assert.Equal(t, tt.want, briefRecords(root, ld), "step %d", i+1)
		all = append(all, ld)
	}

	merged := plog.NewLogs()
	for _, ld := range all {
		ld.ResourceLogs().MoveAndAppendTo(merged.ResourceLogs())
	}
	compareEventsGolden(t, "state_changes", root, merged)
	for _, rl := range merged.ResourceLogs().All() {
		for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
			assert.Equal(t, lr.ObservedTimestamp(), lr.Timestamp(), "a state change happens when the scrape sees it")
		}
	}
}

// startEventsSim starts the simulated Jira with its default installation on a temporary tree.
func startEventsSim(t *testing.T) (*backbonesim.Sim, string) {
	t.Helper()
	sim, err := backbonesim.New(backbonesim.Options{Dir: filepath.Join(t.TempDir(), "backbone-issue-sync"), Seed: 1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sim.Close()) })
	base, err := sim.Start("127.0.0.1:0")
	require.NoError(t, err)
	return sim, base
}

// TestEventsStateChangesAfterRestart checks that a restart starts state changes from a
// fresh baseline: a change that happened while the receiver was down is not reported as
// if it had just happened, and the next change is.
func TestEventsStateChangesAfterRestart(t *testing.T) {
	sim, base := startEventsSim(t)
	fs := newFileStorage(t, "")
	cfg := newEventsConfig(sim.Dir(), time.Nanosecond)
	cfg.Endpoint, cfg.Username, cfg.Password = base, backbonesim.DefaultUsername, backbonesim.DefaultPassword
	cfg.Storage = &fs.id

	first := newStepScraper(t, cfg, fs)
	_, err := first.step(t)
	require.NoError(t, err)
	first.stop(t)

	require.NoError(t, sim.SetIntegrationStatus("INT-17", backbonesim.StatusStopped))
	second := newStepScraper(t, cfg, fs)
	ld, err := second.step(t)
	require.NoError(t, err)
	assert.Zero(t, ld.LogRecordCount(), "no state change for the first observation after a start")

	require.NoError(t, sim.SetIntegrationStatus("INT-17", backbonesim.StatusRunning))
	ld, err = second.step(t)
	require.NoError(t, err)
	assert.Equal(t, []string{"backbone.integration.status_changed INFO stopped->running"}, briefRecords(sim.Dir(), ld))
}

// TestEventsShareResourceWithMetrics checks that the records of an integration carry the
// same resource as its metrics: key, summary from the API and the Jira base URL.
func TestEventsShareResourceWithMetrics(t *testing.T) {
	sim, base := startEventsSim(t)
	_, err := sim.PutMessage("INT-16", "AP-29", backbonesim.FolderError, "AP-123")
	require.NoError(t, err)
	_, err = sim.PutMessage("INT-15", "SP-28", backbonesim.FolderSendError, "")
	require.NoError(t, err)
	cfg := newEventsConfig(sim.Dir(), time.Hour)
	cfg.Endpoint, cfg.Username, cfg.Password = base, backbonesim.DefaultUsername, backbonesim.DefaultPassword
	cfg.StartAt = StartAtBeginning

	s := newStepScraper(t, cfg, componenttest.NewNopHost())
	ld, err := s.step(t)
	require.NoError(t, err)
	require.Len(t, s.metrics.AllMetrics(), 1)
	md := s.metrics.AllMetrics()[0]
	require.Equal(t, 2, ld.ResourceLogs().Len())

	metricResources := map[string]map[string]any{}
	for _, rm := range md.ResourceMetrics().All() {
		attrs := rm.Resource().Attributes().AsRaw()
		if key, ok := attrs["backbone.integration.key"].(string); ok {
			metricResources[key] = attrs
		}
	}
	for _, rl := range ld.ResourceLogs().All() {
		attrs := rl.Resource().Attributes().AsRaw()
		key := attrs["backbone.integration.key"].(string)
		assert.Equal(t, metricResources[key], attrs, key)
		assert.Equal(t, base, attrs["jira.base_url"])
		assert.NotEmpty(t, attrs["backbone.integration.summary"])
	}
}
