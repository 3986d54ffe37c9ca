package msgtrack

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarshalLoadRoundTrip(t *testing.T) {
	a := New(0)
	m := msg("/r/INT-1/AP-1/RECEIVE/error/AP-7/1.bac")
	m.ModTime = time.Date(2026, 2, 28, 23, 0, 0, 123, time.FixedZone("CET", 3600))
	a.ObserveIntegration(at(0), "INT-1", "running")
	a.ObserveConnector(at(0), "INT-1", "AP-1", ConnectorState{ProjectKey: "AP", Online: true})
	a.ObserveMessages(at(0), append(msgs("/r/gone.bac", "/r/kept.bac"), m), nil)
	a.ObserveMessages(time.Now(), append(msgs("/r/kept.bac"), m), nil) // monotonic clock, local zone
	a.ObserveIntegration(at(2), "INT-1", "stopped")
	a.ObserveConnector(at(2), "INT-1", "AP-1", ConnectorState{ProjectKey: "AP", Online: false})
	require.Len(t, a.Pending(0), 6)

	data, err := a.Marshal()
	require.NoError(t, err)
	assert.False(t, a.Changed())

	b := New(0)
	require.NoError(t, b.Load(data))
	assert.Equal(t, a.Pending(0), b.Pending(0))
	assert.Equal(t, known(a), known(b))
	assert.False(t, b.Changed())
	again, err := b.Marshal()
	require.NoError(t, err)
	assert.Equal(t, string(data), string(again), "Marshal is deterministic and Load loses nothing")

	// The known file comes back as last seen: resolving it reports its time.
	b.Delivered(len(b.Pending(0)))
	b.ObserveMessages(at(60*24), msgs("/r/kept.bac"), nil)
	ev := b.Pending(0)
	require.Len(t, ev, 1)
	assert.Equal(t, m.Path, ev[0].Message.Path)
	assert.True(t, m.ModTime.Equal(ev[0].Message.ModTime))
	assert.Equal(t, at(60*24).Sub(m.ModTime), ev[0].TimeInFolder)
}

func TestRestart(t *testing.T) {
	a := New(0)
	a.ObserveMessages(at(0), msgs("/r/a.bac", "/r/b.bac"), nil)
	a.Delivered(len(a.Pending(0)))
	data, err := a.Marshal()
	require.NoError(t, err)

	b := New(0)
	require.NoError(t, b.Load(data))
	require.False(t, b.Fresh(), "start_at must not apply after a restart")
	b.ObserveMessages(at(5), msgs("/r/a.bac", "/r/b.bac", "/r/c.bac"), nil)
	assert.Equal(t, []string{"appeared /r/c.bac"}, brief(b.Pending(0)))
	b.Delivered(1)
	b.ObserveMessages(at(6), msgs("/r/a.bac", "/r/c.bac"), nil)
	assert.Equal(t, []string{"resolved /r/b.bac"}, brief(b.Pending(0)))
}

// TestCrash stops the receiver at each point of a scrape and checks that the
// next start repeats at most that scrape's records and never skips one.
func TestCrash(t *testing.T) {
	tests := []struct {
		desc string
		// saved is what storage holds when the process dies during scrape 2.
		saved func(t *testing.T, tr *Tracker, before []byte) []byte
		want  []string
	}{
		{
			desc:  "dies before writing: scrape 2 is repeated",
			saved: func(_ *testing.T, _ *Tracker, before []byte) []byte { return before },
			want:  []string{"appeared /r/b.bac", "resolved /r/a.bac"},
		},
		{
			desc: "written before delivery was confirmed: scrape 2 is repeated",
			saved: func(t *testing.T, tr *Tracker, _ []byte) []byte {
				data, err := tr.Marshal()
				require.NoError(t, err)
				tr.Delivered(len(tr.Pending(0)))
				return data
			},
			want: []string{"appeared /r/b.bac", "resolved /r/a.bac"},
		},
		{
			desc: "written after delivery: nothing is repeated",
			saved: func(t *testing.T, tr *Tracker, _ []byte) []byte {
				tr.Delivered(len(tr.Pending(0)))
				data, err := tr.Marshal()
				require.NoError(t, err)
				return data
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			a := New(0)
			a.ObserveMessages(at(0), msgs("/r/a.bac"), nil)
			a.Delivered(1)
			before, err := a.Marshal()
			require.NoError(t, err)

			a.ObserveMessages(at(1), msgs("/r/b.bac"), nil)
			saved := tt.saved(t, a, before)

			b := New(0)
			require.NoError(t, b.Load(saved))
			b.ObserveMessages(at(2), msgs("/r/b.bac"), nil)
			assert.Equal(t, tt.want, brief(b.Pending(0)))
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		desc string
		data string
		want error
	}{
		{desc: "not JSON", data: "\x00\x01garbage", want: ErrCorrupt},
		{desc: "truncated", data: `{"version":1,"known":[{"path":"/r/a`, want: ErrCorrupt},
		{desc: "version of the wrong type", data: `{"version":"1"}`, want: ErrCorrupt},
		{desc: "a JSON array", data: `[]`, want: ErrCorrupt},
		{desc: "no version", data: `{"known":[]}`, want: ErrUnknownVersion},
		{desc: "null", data: `null`, want: ErrUnknownVersion},
		{desc: "a newer version", data: `{"version":3,"known":"elsewhere"}`, want: ErrUnknownVersion},
		{desc: "known file without path", data: `{"version":1,"known":[{"size":3}]}`, want: ErrCorrupt},
		{desc: "known file twice", data: `{"version":1,"known":[{"path":"/a"},{"path":"/a"}]}`, want: ErrCorrupt},
		{desc: "pending event of unknown kind", data: `{"version":1,"pending":[{"kind":"exploded","observed":"2026-03-01T08:00:00Z"}]}`, want: ErrCorrupt},
		{desc: "pending appearance without path", data: `{"version":1,"pending":[{"kind":"appeared","observed":"2026-03-01T08:00:00Z"}]}`, want: ErrCorrupt},
		{desc: "pending status change without integration", data: `{"version":1,"pending":[{"kind":"status_changed","state":"stopped"}]}`, want: ErrCorrupt},
		{desc: "bad time", data: `{"version":1,"known":[{"path":"/a","modTime":"yesterday"}]}`, want: ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			tr := New(0)
			tr.ObserveMessages(at(0), msgs("/r/a.bac"), nil)
			err := tr.Load([]byte(tt.data))
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, 1, known(tr), "a failed Load leaves the tracker as it was")
			assert.Len(t, tr.Pending(0), 1)
		})
	}
}

func TestCap(t *testing.T) {
	tr := New(3)
	tr.ObserveMessages(at(0), msgs("/r/1", "/r/2", "/r/3", "/r/4", "/r/5"), nil)
	assert.Equal(t, []string{"appeared /r/3", "appeared /r/4", "appeared /r/5"}, brief(tr.Pending(0)))
	assert.Equal(t, 2, tr.Dropped())
	assert.Equal(t, 0, tr.Dropped(), "reported once")
	assert.Equal(t, 5, known(tr), "dropped records do not make files unknown")

	tr.ObserveMessages(at(1), msgs("/r/1", "/r/2", "/r/3", "/r/4"), nil)
	assert.Equal(t, []string{"appeared /r/4", "appeared /r/5", "resolved /r/5"}, brief(tr.Pending(0)))
	assert.Equal(t, 1, tr.Dropped())

	data, err := tr.Marshal()
	require.NoError(t, err)
	small := New(2)
	require.NoError(t, small.Load(data))
	assert.Equal(t, []string{"appeared /r/5", "resolved /r/5"}, brief(small.Pending(0)), "the cap applies to loaded state")
	assert.Equal(t, 1, small.Dropped())
	assert.True(t, small.Changed())
}

func TestChanged(t *testing.T) {
	files := msgs("/r/a.bac", "/r/b.bac")
	tests := []struct {
		desc   string
		change func(tr *Tracker)
		want   bool
	}{
		{desc: "same files", change: func(tr *Tracker) { tr.ObserveMessages(at(1), files, nil) }},
		{desc: "nothing delivered", change: func(tr *Tracker) { tr.Delivered(0) }},
		{desc: "first API observation", change: func(tr *Tracker) { tr.ObserveIntegration(at(1), "INT-1", "running") }},
		{desc: "unknown API state", change: func(tr *Tracker) { tr.ObserveIntegration(at(1), "INT-0", "") }},
		{desc: "all gone but unreadable", change: func(tr *Tracker) { tr.ObserveMessages(at(1), nil, []string{"/r"}) }},
		{desc: "baseline of known files", change: func(tr *Tracker) { tr.Baseline(at(0), files) }},
		{desc: "forget", change: func(tr *Tracker) { tr.ForgetMissing(nil) }},
		{desc: "a file is new", want: true, change: func(tr *Tracker) {
			tr.ObserveMessages(at(1), append(files, msg("/r/c.bac")), nil)
		}},
		{desc: "a file left", want: true, change: func(tr *Tracker) { tr.ObserveMessages(at(1), files[:1], nil) }},
		{desc: "a file grew", want: true, change: func(tr *Tracker) {
			grown := msgs("/r/a.bac", "/r/b.bac")
			grown[1].Size++
			tr.ObserveMessages(at(1), grown, nil)
		}},
		{desc: "a pending event delivered", want: true, change: func(tr *Tracker) { tr.Delivered(1) }},
		{desc: "a state change", want: true, change: func(tr *Tracker) {
			tr.ObserveIntegration(at(1), "INT-1", "running")
			tr.ObserveIntegration(at(2), "INT-1", "stopped")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			tr := New(0)
			tr.ObserveMessages(at(0), files, nil)
			tr.Delivered(1) // one left pending
			data, err := tr.Marshal()
			require.NoError(t, err)
			require.False(t, tr.Changed())

			tt.change(tr)
			assert.Equal(t, tt.want, tr.Changed())
			after, err := tr.Marshal()
			require.NoError(t, err)
			assert.Equal(t, tt.want, withoutLastScan(t, data) != withoutLastScan(t, after),
				"Changed agrees with Marshal (the last scan's time is a bound that may be written late)")
		})
	}
}

func TestUnsaved(t *testing.T) {
	tr := New(0)
	tr.ObserveMessages(at(0), msgs("/r/a.bac"), nil)
	_, err := tr.Marshal()
	require.NoError(t, err)
	require.False(t, tr.Changed())
	tr.Unsaved() // the storage write failed: write again next scrape
	assert.True(t, tr.Changed())
	_, err = tr.Marshal()
	require.NoError(t, err)
	assert.False(t, tr.Changed())
}

// withoutLastScan returns a marshalled state without its lastScan.
func withoutLastScan(t *testing.T, data []byte) string {
	t.Helper()
	var s map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &s))
	delete(s, "lastScan")
	out, err := json.Marshal(s)
	require.NoError(t, err)
	return string(out)
}
