package msgtrack

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		desc string
		// saves is how many times the state is saved on the way: the first
		// writes the base, the others the journal.
		saves int
	}{
		{desc: "base only", saves: 1},
		{desc: "base and journal", saves: 3},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			c := newClient()
			a := New(0)
			m := msg("/r/INT-1/AP-1/RECEIVE/error/AP-7/1.bac")
			m.ModTime = time.Date(2026, 2, 28, 23, 0, 0, 123, time.FixedZone("CET", 3600))
			a.ObserveIntegration(at(0), "INT-1", "running")
			a.ObserveConnector(at(0), "INT-1", "AP-1", ConnectorState{ProjectKey: "AP", Online: true})
			a.ObserveMessages(at(0), append(msgs("/r/gone.bac", "/r/kept.bac"), m), nil)
			if tt.saves > 1 {
				save(t, c, a)
			}
			a.ObserveMessages(time.Now(), append(msgs("/r/kept.bac"), m), nil) // monotonic clock, local zone
			if tt.saves > 2 {
				save(t, c, a)
			}
			a.ObserveIntegration(at(2), "INT-1", "stopped")
			a.ObserveConnector(at(2), "INT-1", "AP-1", ConnectorState{ProjectKey: "AP", Online: false})
			require.Len(t, a.Pending(0), 6)
			save(t, c, a)
			assert.False(t, a.dirty)
			assert.Equal(t, uint64(tt.saves-1), a.log.next-a.log.first, "journal values")

			b := loaded(t, c)
			assert.Equal(t, a.Pending(0), b.Pending(0))
			assert.Equal(t, known(a), known(b))
			assert.False(t, b.dirty)
			want, err := a.marshal()
			require.NoError(t, err)
			got, err := b.marshal()
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got), "Load loses nothing")

			// The known file comes back as last seen: resolving it reports its time.
			b.Delivered(len(b.Pending(0)))
			b.ObserveMessages(at(60*24), msgs("/r/kept.bac"), nil)
			ev := b.Pending(0)
			require.Len(t, ev, 1)
			assert.Equal(t, m.Path, ev[0].Message.Path)
			assert.True(t, m.ModTime.Equal(ev[0].Message.ModTime))
			assert.Equal(t, at(60*24).Sub(m.ModTime), ev[0].TimeInFolder)
		})
	}
}

func TestRestart(t *testing.T) {
	c := newClient()
	a := New(0)
	a.ObserveMessages(at(0), msgs("/r/a.bac", "/r/b.bac"), nil)
	a.Delivered(len(a.Pending(0)))
	save(t, c, a)

	b := loaded(t, c)
	require.False(t, b.Fresh(), "start_at must not apply after a restart")
	b.ObserveMessages(at(5), msgs("/r/a.bac", "/r/b.bac", "/r/c.bac"), nil)
	assert.Equal(t, []string{"appeared /r/c.bac"}, brief(b.Pending(0)))
	b.Delivered(1)
	save(t, c, b)

	b = loaded(t, c)
	b.ObserveMessages(at(6), msgs("/r/a.bac", "/r/c.bac"), nil)
	assert.Equal(t, []string{"resolved /r/b.bac"}, brief(b.Pending(0)))
}

// TestCrash stops the receiver at each point of a scrape and checks that the
// next start repeats at most that scrape's records and never skips one, with
// the scrape before saved as a base or in the journal.
func TestCrash(t *testing.T) {
	tests := []struct {
		desc string
		// scrape2 ends scrape 2 as the process did when it died.
		scrape2 func(t *testing.T, c *memClient, tr *Tracker)
		want    []string
	}{
		{
			desc:    "dies before writing: scrape 2 is repeated",
			scrape2: func(*testing.T, *memClient, *Tracker) {},
			want:    []string{"appeared /r/b.bac", "resolved /r/a.bac"},
		},
		{
			desc: "written before delivery was confirmed: scrape 2 is repeated",
			scrape2: func(t *testing.T, c *memClient, tr *Tracker) {
				save(t, c, tr)
				tr.Delivered(len(tr.Pending(0)))
			},
			want: []string{"appeared /r/b.bac", "resolved /r/a.bac"},
		},
		{
			desc: "written after delivery: nothing is repeated",
			scrape2: func(t *testing.T, c *memClient, tr *Tracker) {
				tr.Delivered(len(tr.Pending(0)))
				save(t, c, tr)
			},
		},
		{
			desc: "written after part of the delivery: the rest is repeated",
			scrape2: func(t *testing.T, c *memClient, tr *Tracker) {
				tr.Delivered(1)
				save(t, c, tr)
			},
			want: []string{"resolved /r/a.bac"},
		},
	}
	for _, tt := range tests {
		for _, journal := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, journal %t", tt.desc, journal), func(t *testing.T) {
				c := newClient()
				a := New(0)
				if journal {
					a.ObserveMessages(at(-1), nil, nil)
					save(t, c, a) // the base: scrape 1 goes to the journal
				}
				a.ObserveMessages(at(0), msgs("/r/a.bac"), nil)
				a.Delivered(1)
				save(t, c, a)

				a.ObserveMessages(at(1), msgs("/r/b.bac"), nil)
				tt.scrape2(t, c, a)

				b := loaded(t, c)
				b.ObserveMessages(at(2), msgs("/r/b.bac"), nil)
				assert.Equal(t, tt.want, brief(b.Pending(0)))
			})
		}
	}
}

// TestSaveFails checks that what a failed Save did not write is written by
// the next one.
func TestSaveFails(t *testing.T) {
	c := newClient()
	tr := New(0)
	tr.ObserveMessages(at(0), msgs("/r/a.bac"), nil)
	save(t, c, tr)

	tr.ObserveMessages(at(1), msgs("/r/a.bac", "/r/b.bac"), nil)
	tr.Delivered(1)
	c.fail = errors.New("disk full")
	require.ErrorIs(t, tr.Save(t.Context(), c), c.fail)
	assert.True(t, tr.dirty)
	tr.ObserveMessages(at(2), msgs("/r/b.bac", "/r/c.bac"), nil)
	c.fail = nil
	save(t, c, tr)

	b := loaded(t, c)
	assert.Equal(t, []string{"appeared /r/b.bac", "appeared /r/c.bac", "resolved /r/a.bac"}, brief(b.Pending(0)))
	assert.Equal(t, 2, known(b))
}

// TestSaveWritesWhatChanged counts the bytes that re-lists write to storage
// with 20,000 known files: one write per save, a few messages' worth for a few
// changed messages, nothing when nothing changed.
func TestSaveWritesWhatChanged(t *testing.T) {
	const folder = "/r/default/INT-1/AP-1/RECEIVE/error/AP-0"
	c, tr, listed := savedErrors(t, 20_000, folder)
	state, largest := c.stored(t)
	assert.LessOrEqual(t, largest, partSize, "the base in parts: a page beside a journal value holds no megabytes")
	one, err := json.Marshal(msg(folder + "/new-000000.bac"))
	require.NoError(t, err)

	for i, relist := range []struct {
		found, deliver int
	}{
		{found: 2, deliver: 2},
		{found: 2, deliver: 0}, // the pipeline refused them
		{found: 0, deliver: 2},
	} {
		for range relist.found {
			listed = append(listed, msg(fmt.Sprintf("%s/new-%06d.bac", folder, len(listed))))
		}
		writes, bytes := c.writes, c.bytes
		tr.ObserveFolders(at(1+i), []string{folder}, listed, nil)
		tr.Delivered(relist.deliver)
		save(t, c, tr)
		assert.Equal(t, 1, c.writes-writes, "re-list %d: one write", i)
		assert.Less(t, c.bytes-bytes, 8*len(one), "re-list %d: a few messages' worth, of a state of %d bytes", i, state)
	}
	assert.Zero(t, tr.PendingCount())
	writes := c.writes
	tr.ObserveFolders(at(5), []string{folder}, listed, nil)
	save(t, c, tr)
	assert.Equal(t, writes, c.writes, "nothing changed: nothing written")
	assert.Equal(t, known(tr), known(loaded(t, c)))
}

// TestJournalCompacted checks that many saves keep what is stored within
// about twice the state, and what is written within about three times the
// changes, the journal folded into a new base now and then.
func TestJournalCompacted(t *testing.T) {
	const folder = "/r/default/INT-1/AP-1/RECEIVE/error/AP-0"
	c, tr, listed := savedErrors(t, 400, folder)
	state, _ := c.stored(t)
	bases, changes := c.batches, c.bytes
	for i := range 1000 {
		p := msg(fmt.Sprintf("%s/new-%06d.bac", folder, i)) // the one of the re-list before leaves
		tr.ObserveFolders(at(1+i), []string{folder}, append(listed, p), nil)
		tr.Delivered(tr.PendingCount())
		bytes := c.bytes
		save(t, c, tr)
		if c.batches == bases {
			changes += c.bytes - bytes
		}
		bases = c.batches
	}
	assert.Greater(t, c.batches, 3, "bases written")
	stored, _ := c.stored(t)
	assert.Less(t, stored, 2*state+minJournal, "stored: the state and a journal smaller than it")
	assert.Less(t, c.bytes, 3*changes, "written: the changes and, per journal, a base of its size")
	b := loaded(t, c)
	assert.Equal(t, known(tr), known(b))
	assert.Zero(t, b.PendingCount())
}

// savedErrors returns a client holding the state of a tracker that knows n
// files in 200 issue folders of error/, the tracker, and the files of one of
// them, folder.
func savedErrors(t *testing.T, n int, folder string) (*memClient, *Tracker, []Message) {
	t.Helper()
	all := make([]Message, n)
	var listed []Message
	for i := range all {
		all[i] = msg(fmt.Sprintf("/r/default/INT-1/AP-1/RECEIVE/error/AP-%d/%06d.bac", i%200, i))
		if path.Dir(all[i].Path) == folder {
			listed = append(listed, all[i])
		}
	}
	c := newClient()
	tr := New(0)
	tr.Baseline(at(0), all, nil)
	tr.ObserveMessages(at(0), all, nil)
	save(t, c, tr)
	require.Equal(t, 1, c.writes)
	return c, tr, listed
}

// TestLoadVersion2 reads the value the previous version wrote, the whole
// state in one, and replaces it with a base at the next Save.
func TestLoadVersion2(t *testing.T) {
	c := valueClient(t, `{"version":2,"known":[{"path":"/r/a.bac","folder":"error"}],`+
		`"waiting":[{"path":"/r/held.bac","folder":"sequence_error","entered":"2026-03-01T08:00:00Z"}],`+
		`"pending":[{"kind":"appeared","message":{"path":"/r/a.bac"},"observed":"2026-03-01T08:00:00Z"}],`+
		`"lastScan":"2026-03-01T08:00:00Z"}`)
	tr := loaded(t, c)
	assert.Equal(t, 2, known(tr))
	assert.Equal(t, []string{"appeared /r/a.bac"}, brief(tr.Pending(0)))
	assert.True(t, tr.dirty, "the value is rewritten in the new layout")
	save(t, c, tr)
	data, err := c.Get(t.Context(), StateKey)
	require.NoError(t, err)
	var head struct{ Version int }
	require.NoError(t, json.Unmarshal(data, &head))
	assert.Equal(t, formatVersion, head.Version)

	tr.Delivered(1)
	save(t, c, tr)
	b := loaded(t, c)
	b.Hold(map[string]time.Duration{"sequence_error": 15 * time.Minute})
	b.ObserveMessages(at(20), msgs("/r/a.bac", "/r/held.bac"), nil)
	assert.Equal(t, []string{"appeared /r/held.bac"}, brief(b.Pending(0)), "still held after the migration, reported once")
}

func TestLoadErrors(t *testing.T) {
	const (
		head = `{"version":3,"journal":7,"parts":1}`
		base = `{"known":[{"path":"/r/a.bac"}]}`
	)
	tests := []struct {
		desc    string
		data    string
		parts   []string
		journal []string // values from number 7 on
		want    error
	}{
		{desc: "not JSON", data: "\x00\x01garbage", want: ErrCorrupt},
		{desc: "truncated", data: `{"version":1,"known":[{"path":"/r/a`, want: ErrCorrupt},
		{desc: "version of the wrong type", data: `{"version":"1"}`, want: ErrCorrupt},
		{desc: "a JSON array", data: `[]`, want: ErrCorrupt},
		{desc: "no version", data: `{"known":[]}`, want: ErrUnknownVersion},
		{desc: "null", data: `null`, want: ErrUnknownVersion},
		{desc: "a newer version", data: `{"version":4,"known":"elsewhere"}`, want: ErrUnknownVersion},
		{desc: "known file without path", data: `{"version":1,"known":[{"size":3}]}`, want: ErrCorrupt},
		{desc: "known file twice", data: `{"version":1,"known":[{"path":"/a"},{"path":"/a"}]}`, want: ErrCorrupt},
		{desc: "pending event of unknown kind", data: `{"version":1,"pending":[{"kind":"exploded","observed":"2026-03-01T08:00:00Z"}]}`, want: ErrCorrupt},
		{desc: "pending appearance without path", data: `{"version":1,"pending":[{"kind":"appeared","observed":"2026-03-01T08:00:00Z"}]}`, want: ErrCorrupt},
		{desc: "pending status change without integration", data: `{"version":1,"pending":[{"kind":"status_changed","state":"stopped"}]}`, want: ErrCorrupt},
		{desc: "bad time", data: `{"version":1,"known":[{"path":"/a","modTime":"yesterday"}]}`, want: ErrCorrupt},
		{desc: "a part missing", data: `{"version":3,"journal":7,"parts":2}`, parts: []string{`{"known":`}, want: ErrCorrupt},
		{desc: "parts not JSON", data: `{"version":3,"journal":7,"parts":2}`, parts: []string{`{"known":`, `[}`}, want: ErrCorrupt},
		{desc: "journal value not JSON", data: head, parts: []string{base}, journal: []string{`{}`, `{"known":`}, want: ErrCorrupt},
		{desc: "journal delivers more than was pending", data: head, parts: []string{base}, journal: []string{`{"shifted":1}`}, want: ErrCorrupt},
		{desc: "journal event of unknown kind", data: head, parts: []string{base}, journal: []string{`{"pending":[{"kind":"exploded"}]}`}, want: ErrCorrupt},
		{desc: "journal file without path", data: head, parts: []string{base}, journal: []string{`{"waiting":[{"size":3}]}`}, want: ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := valueClient(t, tt.data)
			for i, v := range tt.parts {
				require.NoError(t, c.Set(t.Context(), partKey(i), []byte(v)))
			}
			for i, v := range tt.journal {
				require.NoError(t, c.Set(t.Context(), journalKey(uint64(7+i)), []byte(v)))
			}
			tr := New(0)
			tr.ObserveMessages(at(0), msgs("/r/a.bac", "/r/b.bac"), nil)
			err := tr.Load(t.Context(), c)
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, 2, known(tr), "a failed Load leaves the tracker as it was")
			assert.Len(t, tr.Pending(0), 2)
		})
	}
}

// TestSaveAfterUnreadableState checks that a fresh tracker saved over a state
// it could not read never takes that state's journal for its own.
func TestSaveAfterUnreadableState(t *testing.T) {
	c := valueClient(t, `{"version":3,"journal":0,"parts":1}`)
	require.NoError(t, c.Set(t.Context(), partKey(0), []byte(`{"known":"unreadable"}`)))
	for n := range uint64(3) {
		require.NoError(t, c.Set(t.Context(), journalKey(n), []byte(`{"gone":["/r/a.bac"],"known":[{"path":"/r/stale.bac"}]}`)))
	}
	tr := New(0)
	require.ErrorIs(t, tr.Load(t.Context(), c), ErrCorrupt)
	tr.ObserveMessages(at(0), msgs("/r/a.bac"), nil)
	save(t, c, tr)
	tr.ObserveMessages(at(1), msgs("/r/a.bac", "/r/b.bac"), nil)
	save(t, c, tr)

	b := loaded(t, c)
	assert.Equal(t, known(tr), known(b))
	_, stale := b.known["/r/stale.bac"]
	assert.False(t, stale)
}

func TestCap(t *testing.T) {
	c := newClient()
	tr := New(3)
	tr.ObserveMessages(at(0), msgs("/r/1", "/r/2", "/r/3", "/r/4", "/r/5"), nil)
	assert.Equal(t, []string{"appeared /r/3", "appeared /r/4", "appeared /r/5"}, brief(tr.Pending(0)))
	assert.Equal(t, 2, tr.Dropped())
	assert.Equal(t, 0, tr.Dropped(), "reported once")
	assert.Equal(t, 5, known(tr), "dropped records do not make files unknown")
	save(t, c, tr)

	tr.ObserveMessages(at(1), msgs("/r/1", "/r/2", "/r/3", "/r/4"), nil)
	assert.Equal(t, []string{"appeared /r/4", "appeared /r/5", "resolved /r/5"}, brief(tr.Pending(0)))
	assert.Equal(t, 1, tr.Dropped())
	save(t, c, tr)

	small := New(2)
	require.NoError(t, small.Load(t.Context(), c))
	assert.Equal(t, []string{"appeared /r/5", "resolved /r/5"}, brief(small.Pending(0)), "the cap applies to loaded state")
	assert.Equal(t, 1, small.Dropped())
	assert.True(t, small.dirty)
	save(t, c, small)
	assert.Equal(t, []string{"appeared /r/5", "resolved /r/5"}, brief(loaded(t, c).Pending(0)))
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
		{desc: "baseline of known files", change: func(tr *Tracker) { tr.Baseline(at(0), files, nil) }},
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
			c := newClient()
			tr := New(0)
			tr.ObserveMessages(at(0), files, nil)
			tr.Delivered(1) // one left pending
			save(t, c, tr)
			require.False(t, tr.dirty)
			before, err := tr.marshal()
			require.NoError(t, err)

			tt.change(tr)
			assert.Equal(t, tt.want, tr.dirty)
			writes := c.writes
			save(t, c, tr)
			assert.Equal(t, tt.want, c.writes > writes, "written only on change")
			after, err := loaded(t, c).marshal()
			require.NoError(t, err)
			assert.Equal(t, tt.want, withoutLastScan(t, before) != withoutLastScan(t, after),
				"a change reaches storage (the last scan's time is a bound that may be written late)")
		})
	}
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

// TestMemoryOnly checks that a tracker never saved nor loaded (the receiver without
// storage) does not collect changes for a Save that never comes.
func TestMemoryOnly(t *testing.T) {
	tr := New(0)
	for i := range 100 {
		tr.ObserveMessages(at(i), msgs(fmt.Sprintf("/r/%d.bac", i)), nil)
		tr.Delivered(tr.PendingCount())
	}
	assert.Empty(t, tr.changed)
}
