package msgtrack

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const held = "/r/default/INT-1/AP-1/RECEIVE/sequence-error/s.bac"

// heldMsg is a message of sequence-error/ that entered its folder at entered.
func heldMsg(entered time.Time) Message {
	m := msg(held)
	m.Folder, m.Issue, m.Entered = "sequence_error", "", entered
	return m
}

func TestHold(t *testing.T) {
	hold := map[string]time.Duration{"sequence_error": 15 * time.Minute}
	tests := []struct {
		desc string
		// present says, for scan i (at(i)), whether the held message is listed.
		present []bool
		want    []string // pending events after the last scan
	}{
		{desc: "heals sooner: no event and no resolution", present: []bool{true, true, false, false}},
		{desc: "stays: one event once it has waited 15 minutes", present: repeat(true, 30), want: []string{"appeared " + held}},
		{desc: "stays, then heals: reported, then resolved", present: append(repeat(true, 20), false), want: []string{"appeared " + held, "resolved " + held}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			tr := New(0)
			tr.Hold(hold)
			for i, p := range tt.present {
				var list []Message
				if p {
					list = []Message{heldMsg(at(0))}
				}
				tr.ObserveMessages(at(i), list, nil)
			}
			assert.Equal(t, tt.want, brief(tr.Pending(0)))
		})
	}
}

func TestHoldReportsWaitAndEntryTime(t *testing.T) {
	tr := New(0)
	tr.Hold(map[string]time.Duration{"sequence_error": 15 * time.Minute})
	for i := range 16 {
		tr.ObserveMessages(at(i), []Message{heldMsg(at(0).Add(-30 * time.Second))}, nil)
	}
	evs := tr.Pending(0)
	require.Len(t, evs, 1, "reported at the first scan 15 minutes after it entered")
	assert.Equal(t, at(0).Add(-30*time.Second), evs[0].Time(), "the record's time is when it entered its folder")
	assert.Equal(t, at(15), evs[0].Observed)
	assert.Equal(t, 15*time.Minute+30*time.Second, evs[0].TimeInFolder, "the time it waited")
}

func TestHoldAcrossRestart(t *testing.T) {
	hold := map[string]time.Duration{"sequence_error": 15 * time.Minute}
	c := newClient()
	a := New(0)
	a.Hold(hold)
	a.ObserveMessages(at(0), []Message{heldMsg(at(0))}, nil)
	save(t, c, a)

	b := loaded(t, c)
	b.Hold(hold)
	b.ObserveMessages(at(10), []Message{heldMsg(at(0))}, nil)
	assert.Empty(t, b.Pending(0), "still waiting after the restart")
	b.ObserveMessages(at(16), []Message{heldMsg(at(0))}, nil)
	require.Len(t, b.Pending(0), 1)
	b.Delivered(1)
	save(t, c, b)

	c2 := loaded(t, c)
	c2.Hold(hold)
	c2.ObserveMessages(at(30), []Message{heldMsg(at(0))}, nil)
	assert.Empty(t, c2.Pending(0), "reported once, not again after the next restart")
}

func TestLoadVersion1(t *testing.T) {
	// Written before held messages existed: every known file was reported on arrival.
	c := valueClient(t, `{"version":1,"known":[{"path":"`+held+`","folder":"sequence_error","modTime":"2026-03-01T07:00:00Z"}]}`)
	tr := loaded(t, c)
	tr.Hold(map[string]time.Duration{"sequence_error": 15 * time.Minute})
	tr.ObserveMessages(at(30), nil, nil)
	evs := tr.Pending(0)
	assert.Equal(t, []string{"resolved " + held}, brief(evs), "reported under version 1, so its departure is news")
	assert.Equal(t, 90*time.Minute, evs[0].TimeInFolder, "from its modification time, the only time version 1 kept")
}

func TestEnteredClamp(t *testing.T) {
	const f = "/r/default/INT-1/AP-1/RECEIVE/error/AP-7/f.bac"
	tests := []struct {
		desc    string
		entered time.Time
		want    time.Time
	}{
		{desc: "between the scans: as the file system says", entered: at(1).Add(-20 * time.Second), want: at(1).Add(-20 * time.Second)},
		{desc: "days old (moved in, or a rewritten ctime long ago): the previous scan that did not see it", entered: at(-3000), want: at(0)},
		{desc: "in the future (the file server's clock): the scan that saw it", entered: at(5), want: at(1)},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			tr := New(0)
			tr.ObserveMessages(at(0), nil, nil)
			m := msg(f)
			m.Entered = tt.entered
			tr.ObserveMessages(at(1), []Message{m}, nil)
			evs := tr.Pending(0)
			require.Len(t, evs, 1)
			assert.Equal(t, tt.want, evs[0].Time())
			assert.Equal(t, at(1), evs[0].Observed)
		})
	}
}

func TestEnteredClampFollowsRelists(t *testing.T) {
	const dir = "/r/default/INT-1/AP-1/RECEIVE/error/AP-7"
	tr := New(0)
	tr.ObserveMessages(at(0), nil, nil)
	tr.ObserveFolders(at(5), []string{dir}, nil, nil)
	m := msg(dir + "/g.bac")
	m.Entered = at(-100)
	tr.ObserveMessages(at(6), []Message{m}, nil)
	evs := tr.Pending(0)
	require.Len(t, evs, 1)
	assert.Equal(t, at(5), evs[0].Time(), "the re-list of its folder at 5 did not see it")
}

func TestObserveConnectorDetails(t *testing.T) {
	tr := New(0)
	st := ConnectorState{ProjectKey: "AP", BaseURL: "http://jira2", Online: true}
	tr.ObserveConnector(at(0), "INT-1", "AP-1", st)
	st.OutgoingDetails = "Partner not reachable"
	tr.ObserveConnector(at(1), "INT-1", "AP-1", st)
	st.Online = false
	tr.ObserveConnector(at(2), "INT-1", "AP-1", st)
	st.OutgoingDetails = ""
	tr.ObserveConnector(at(3), "INT-1", "AP-1", st)
	tr.ObserveConnector(at(4), "INT-1", "AP-1", st)

	evs := tr.Pending(0)
	require.Len(t, evs, 3)
	assert.Equal(t, Event{Kind: KindDetailsChanged, Observed: at(1), Integration: "INT-1", Connector: "AP-1", ProjectKey: "AP",
		BaseURL: "http://jira2", Direction: "outgoing", Details: "Partner not reachable"}, evs[0])
	assert.Equal(t, Event{Kind: KindOnlineChanged, Observed: at(2), Integration: "INT-1", Connector: "AP-1", ProjectKey: "AP",
		BaseURL: "http://jira2", OutgoingDetails: "Partner not reachable"}, evs[1], "offline, with the current details")
	assert.Equal(t, Event{Kind: KindDetailsChanged, Observed: at(3), Integration: "INT-1", Connector: "AP-1", ProjectKey: "AP",
		BaseURL: "http://jira2", Direction: "outgoing"}, evs[2], "cleared")
}

func repeat(v bool, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// start_at=end takes the messages present as seen, but a held message that becomes stuck
// after the start is news: it is reported once it has waited, unless it heals first.
func TestBaselineHeld(t *testing.T) {
	hold := map[string]time.Duration{"sequence_error": 15 * time.Minute}
	tests := []struct {
		desc    string
		entered time.Time // when the held message entered its folder; the start is at(0)
		present int       // scans from at(0) that list it; it is gone from the next
		scans   int
		want    []string
	}{
		{desc: "stuck before the start: not news", entered: at(-20), present: 30, scans: 30},
		{desc: "stuck after the start: reported", entered: at(-5), present: 30, scans: 30, want: []string{"appeared " + held}},
		{desc: "heals before it is stuck: nothing", entered: at(-5), present: 5, scans: 30},
		{desc: "stuck after the start, then heals", entered: at(-5), present: 12, scans: 30, want: []string{"appeared " + held, "resolved " + held}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			tr := New(0)
			tr.Hold(hold)
			tr.Baseline(at(0), []Message{heldMsg(tt.entered)}, nil)
			for i := range tt.scans {
				var list []Message
				if i < tt.present {
					list = []Message{heldMsg(tt.entered)}
				}
				tr.ObserveMessages(at(i), list, nil)
			}
			assert.Equal(t, tt.want, brief(tr.Pending(0)))
		})
	}
}

// The last full scan is stored with the state: the first scan after a restart clamps a new
// file's entry time by the scan before the restart, and a state without it clamps nothing.
func TestEnteredClampAcrossRestart(t *testing.T) {
	const f = "/r/default/INT-1/AP-1/RECEIVE/error/AP-7/f.bac"
	stored := newClient()
	before := New(0)
	before.ObserveMessages(at(0), nil, nil)
	save(t, stored, before)

	for _, tt := range []struct {
		desc  string
		state *memClient
		want  time.Time
	}{
		{desc: "stored scan", state: stored, want: at(0)},
		{desc: "state without it", state: valueClient(t, `{"version":2}`), want: at(-3000)},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			after := loaded(t, tt.state)
			m := msg(f)
			m.Entered = at(-3000)
			after.ObserveMessages(at(10), []Message{m}, nil)
			evs := after.Pending(0)
			require.Len(t, evs, 1)
			assert.Equal(t, tt.want, evs[0].Time())
		})
	}
}

// foundErrors marks the messages of error/ as found at start, as start_at: needs_attention does
// with the folders that need a person.
func foundErrors(m Message) bool { return m.Folder == "error" }

// A message found at start in a folder that needs a person is reported by the first scan,
// once, marked found and timed by that scan; the others are taken as seen. A restart with
// the stored state reports nothing again, and the message resolves as any other.
func TestBaselineFound(t *testing.T) {
	const invalid = "/r/default/INT-1/AP-1/RECEIVE/invalid/x.part"
	blocked := msg("/r/default/INT-1/AP-1/RECEIVE/error/AP-7/e.bac")
	blocked.Entered = at(-3 * 24 * 60)
	other := msg(invalid)
	other.Folder, other.Issue = "invalid", ""
	present := []Message{blocked, other}

	tr := New(0)
	tr.Baseline(at(0), present, foundErrors)
	tr.ObserveMessages(at(0), present, nil)
	evs := tr.Pending(0)
	require.Equal(t, []string{"appeared " + blocked.Path}, brief(evs))
	assert.Equal(t, at(0), evs[0].Message.Found)
	assert.Equal(t, at(0), evs[0].Time(), "timed when found, not days before when it entered")
	assert.Equal(t, at(0).Sub(blocked.Entered), evs[0].TimeInFolder, "how long it had been there")
	tr.Delivered(1)
	tr.ObserveMessages(at(1), present, nil)
	assert.Empty(t, tr.Pending(0), "once")

	c := newClient()
	save(t, c, tr)
	after := loaded(t, c)
	require.False(t, after.Fresh(), "the restart is no first start")
	after.ObserveMessages(at(2), present, nil)
	assert.Empty(t, after.Pending(0), "none after a restart")
	after.ObserveMessages(at(3), []Message{other}, nil)
	evs = after.Pending(0)
	require.Equal(t, []string{"resolved " + blocked.Path}, brief(evs))
	assert.Equal(t, at(3).Sub(blocked.Entered), evs[0].TimeInFolder, "from when it entered, not when it was found")
}

// A held message found at start waits its hold from the first scan, however long it was
// there before, also across a restart; one that heals sooner has no event.
func TestBaselineFoundHeld(t *testing.T) {
	hold := map[string]time.Duration{"sequence_error": 15 * time.Minute}
	foundHeld := func(m Message) bool { return m.Folder == "sequence_error" }
	tests := []struct {
		desc    string
		present int // scans from at(0) that list it; it is gone from the next
		restart int // scan before which the tracker is saved and loaded again; 0: none
		want    []string
	}{
		{desc: "stays: reported after its hold from the start", present: 30, want: []string{"appeared " + held}},
		{desc: "stays across a restart", present: 30, restart: 5, want: []string{"appeared " + held}},
		{desc: "heals before: nothing", present: 15},
		{desc: "stays, then heals", present: 20, want: []string{"appeared " + held, "resolved " + held}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			entered := at(-3 * 24 * 60)
			tr := New(0)
			tr.Hold(hold)
			tr.Baseline(at(0), []Message{heldMsg(entered)}, foundHeld)
			var reported []Event
			for i := range 30 {
				if i > 0 && i == tt.restart {
					c := newClient()
					save(t, c, tr)
					tr = loaded(t, c)
					tr.Hold(hold)
				}
				var list []Message
				if i < tt.present {
					list = []Message{heldMsg(entered)}
				}
				tr.ObserveMessages(at(i), list, nil)
				if i < 15 {
					assert.Empty(t, tr.Pending(0), "scan %d: within its hold from the start", i)
				}
				reported = append(reported, tr.Pending(0)...)
				tr.Delivered(tr.PendingCount())
			}
			assert.Equal(t, tt.want, brief(reported))
			if len(reported) > 0 {
				assert.Equal(t, at(15), reported[0].Observed, "stuck 15 minutes after it was found")
				assert.Equal(t, at(15), reported[0].Time())
				assert.Equal(t, at(15).Sub(entered), reported[0].TimeInFolder, "how long it waited in all")
				assert.Equal(t, at(0), reported[0].Message.Found)
			}
		})
	}
}
