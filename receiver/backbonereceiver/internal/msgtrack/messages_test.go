package msgtrack

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scan is one ObserveMessages call, the pending events expected after it,
// and whether the pipeline then accepts them.
type scan struct {
	files      []string
	unreadable []string
	want       []string
	deliver    bool
}

func TestObserveMessages(t *testing.T) {
	const (
		a   = "/r/default/INT-1/AP-1/RECEIVE/error/AP-7/a.bac"
		b   = "/r/default/INT-1/AP-1/RECEIVE/error/AP-7/b.bac"
		c   = "/r/default/INT-1/AP-1/RECEIVE/sequence-error/c.bac"
		d   = "/r/default/INT-1/AP-1/SEND/error/d.bac"
		e10 = "/r/default/INT-1/AP-10/SEND/error/e.bac"
	)
	tests := []struct {
		desc  string
		scans []scan
	}{
		{
			desc: "each appearance yields one event however many scans it stays",
			scans: []scan{
				{files: []string{a, b}, want: []string{"appeared " + a, "appeared " + b}, deliver: true},
				{files: []string{a, b}, deliver: true},
				{files: []string{b, a}, deliver: true},
				{files: []string{a, b}, deliver: true},
			},
		},
		{
			desc: "a file that leaves and comes back is a new appearance",
			scans: []scan{
				{files: []string{a}, want: []string{"appeared " + a}, deliver: true},
				{want: []string{"resolved " + a}, deliver: true},
				{files: []string{a}, want: []string{"appeared " + a}, deliver: true},
			},
		},
		{
			desc: "refused events are offered again, before the new ones",
			scans: []scan{
				{files: []string{a}, want: []string{"appeared " + a}},
				{files: []string{a, b}, want: []string{"appeared " + a, "appeared " + b}},
				{files: []string{a, b, c}, want: []string{"appeared " + a, "appeared " + b, "appeared " + c}, deliver: true},
				{files: []string{a, b, c}},
			},
		},
		{
			desc: "a file that appears and leaves while delivery fails is reported both ways",
			scans: []scan{
				{files: []string{a}, want: []string{"appeared " + a}},
				{want: []string{"appeared " + a, "resolved " + a}, deliver: true},
				{},
			},
		},
		{
			desc: "the events of one scan are in the order they happened: appearances at their files' time, resolutions at the scan, each by path",
			scans: []scan{
				{files: []string{d, b}, want: []string{"appeared " + b, "appeared " + d}, deliver: true},
				{files: []string{c, d, a}, want: []string{"appeared " + a, "appeared " + c, "resolved " + b}},
			},
		},
		{
			desc: "files under an unreadable path are neither resolved nor announced again",
			scans: []scan{
				{files: []string{a, e10}, want: []string{"appeared " + a, "appeared " + e10}, deliver: true},
				{unreadable: []string{"/r/default/INT-1/AP-1"}, want: []string{"resolved " + e10}, deliver: true},
				{files: []string{a}},
				{want: []string{"resolved " + a}},
			},
		},
		{
			desc: "an unreadable path covers only on path boundaries",
			scans: []scan{
				{files: []string{a, e10}, deliver: true, want: []string{"appeared " + a, "appeared " + e10}},
				{unreadable: []string{"/r/default/INT-1/AP-1/"}, want: []string{"resolved " + e10}},
			},
		},
		{
			desc: "an unreadable root keeps every file",
			scans: []scan{
				{files: []string{a, e10}, deliver: true, want: []string{"appeared " + a, "appeared " + e10}},
				{unreadable: []string{"/r"}},
				{unreadable: []string{"/"}},
				{files: []string{a}, want: []string{"resolved " + e10}},
			},
		},
		{
			desc: "an unreadable file path covers that file",
			scans: []scan{
				{files: []string{a}, deliver: true, want: []string{"appeared " + a}},
				{unreadable: []string{a, ""}},
			},
		},
		{
			desc: "a path listed twice is one appearance; an empty path is ignored",
			scans: []scan{
				{files: []string{a, a, ""}, want: []string{"appeared " + a}, deliver: true},
				{files: []string{a, a}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			tr := New(0)
			for i, s := range tt.scans {
				tr.ObserveMessages(at(i), msgs(s.files...), s.unreadable)
				pending := tr.Pending(0)
				assert.Equal(t, s.want, brief(pending), "scan %d", i)
				if s.deliver {
					tr.Delivered(len(pending))
				}
			}
		})
	}
}

func TestResolvedTimeInFolder(t *testing.T) {
	tests := []struct {
		desc    string
		modTime time.Time
		want    time.Duration
	}{
		{desc: "time since modification", modTime: t0, want: 90 * time.Minute},
		{desc: "modification time in another zone", modTime: t0.In(time.FixedZone("CET", 3600)), want: 90 * time.Minute},
		{desc: "modification after the observation (clock skew) is zero", modTime: at(120), want: 0},
		{desc: "unknown modification time is zero", modTime: time.Time{}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			tr := New(0)
			m := msg("/r/x.bac")
			m.ModTime = tt.modTime
			tr.ObserveMessages(at(1), []Message{m}, nil)
			m.Size = 250 // grows while it stays: not a new appearance
			tr.ObserveMessages(at(2), []Message{m}, nil)
			tr.ObserveMessages(at(90), nil, nil)

			evs := tr.Pending(0)
			require.Len(t, evs, 2)
			res := evs[1]
			assert.Equal(t, KindResolved, res.Kind)
			assert.Equal(t, at(90), res.Observed)
			assert.Equal(t, tt.want, res.TimeInFolder)
			assert.Equal(t, int64(250), res.Message.Size, "resolved carries the message as last seen")
			assert.True(t, tt.modTime.Equal(res.Message.ModTime))
		})
	}
}

func TestBaseline(t *testing.T) {
	tr := New(0)
	require.True(t, tr.Fresh())
	tr.Baseline(at(0), msgs("/r/a.bac", "/r/b.bac"), nil)
	assert.False(t, tr.Fresh())
	assert.True(t, tr.dirty, "the end of freshness must reach storage")
	assert.Empty(t, tr.Pending(0))
	assert.Equal(t, 2, known(tr))

	tr.ObserveMessages(at(1), msgs("/r/a.bac", "/r/b.bac", "/r/c.bac"), nil)
	assert.Equal(t, []string{"appeared /r/c.bac"}, brief(tr.Pending(0)))
	tr.Delivered(1)
	tr.ObserveMessages(at(2), msgs("/r/a.bac"), nil)
	assert.Equal(t, []string{"resolved /r/b.bac", "resolved /r/c.bac"}, brief(tr.Pending(0)))
}

func TestFresh(t *testing.T) {
	tr := New(0)
	assert.True(t, tr.Fresh())
	assert.False(t, tr.dirty, "nothing to write before any observation")

	tr.ObserveIntegration(at(0), "INT-1", "running")
	tr.ObserveConnector(at(0), "INT-1", "AP-1", ConnectorState{ProjectKey: "AP", Online: true})
	assert.True(t, tr.Fresh(), "API state is not persisted and does not decide start_at")

	tr.ObserveMessages(at(0), nil, nil)
	assert.False(t, tr.Fresh())
	assert.True(t, tr.dirty, "an empty first scan is still written, so a restart does not apply start_at again")

	c := newClient()
	save(t, c, tr)
	assert.False(t, loaded(t, c).Fresh())
	assert.True(t, loaded(t, newClient()).Fresh(), "nothing stored is a fresh tracker")
}

func TestKnownShrinks(t *testing.T) {
	paths := make([]string, 1000)
	for i := range paths {
		paths[i] = fmt.Sprintf("/r/default/INT-%d/AP-1/SEND/error/%d.bac", i%7, i)
	}
	tr := New(0)
	tr.ObserveMessages(at(0), msgs(paths...), nil)
	assert.Equal(t, 1000, known(tr))
	tr.Delivered(1000)

	tr.ObserveMessages(at(1), msgs(paths[:10]...), nil)
	assert.Equal(t, 10, known(tr))
	tr.Delivered(990)

	tr.ObserveMessages(at(2), nil, []string{"/r/default/INT-3"})
	assert.Equal(t, 1, known(tr), "only the file under the unreadable path stays")
	tr.ObserveMessages(at(3), nil, nil)
	assert.Equal(t, 0, known(tr))
}

func TestCovered(t *testing.T) {
	tests := []struct {
		desc     string
		prefixes []string
		path     string
		want     bool
	}{
		{desc: "equal", prefixes: []string{"/a/b"}, path: "/a/b", want: true},
		{desc: "below", prefixes: []string{"/a/b"}, path: "/a/b/c/d", want: true},
		{desc: "sibling with the same start", prefixes: []string{"/a/b"}, path: "/a/bc", want: false},
		{desc: "trailing separator", prefixes: []string{"/a/b/"}, path: "/a/b/c", want: true},
		{desc: "trailing separator, sibling", prefixes: []string{"/a/b/"}, path: "/a/bc", want: false},
		{desc: "root", prefixes: []string{"/"}, path: "/a", want: true},
		{desc: "empty covers nothing", prefixes: []string{""}, path: "/a", want: false},
		{desc: "none", path: "/a", want: false},
		{desc: "second prefix", prefixes: []string{"/x", "/a"}, path: "/a/b", want: true},
		{desc: "above", prefixes: []string{"/a/b/c"}, path: "/a/b", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, tt.want, covered(trimPrefixes(tt.prefixes), tt.path))
		})
	}
}

func BenchmarkObserveMessages(b *testing.B) {
	paths := make([]string, 10_000)
	for i := range paths {
		paths[i] = fmt.Sprintf("/var/atlassian/jira/data/backbone-issue-sync/default/INT-%d/AP-%d/RECEIVE/error/AP-%d/%06d.bac", i%20, i%40, i, i)
	}
	files := msgs(paths...)
	tr := New(0)
	tr.ObserveMessages(t0, files, nil)
	tr.Delivered(len(files))
	b.ReportAllocs()
	for b.Loop() {
		tr.ObserveMessages(t0, files, nil)
	}
	if n := len(tr.Pending(0)); n != 0 {
		b.Fatalf("%d events for unchanged files", n)
	}
}

func BenchmarkMarshal(b *testing.B) {
	paths := make([]string, 10_000)
	for i := range paths {
		paths[i] = fmt.Sprintf("/var/atlassian/jira/data/backbone-issue-sync/default/INT-%d/AP-%d/RECEIVE/error/AP-%d/%06d.bac", i%20, i%40, i, i)
	}
	tr := New(0)
	tr.ObserveMessages(t0, msgs(paths...), nil)
	tr.Delivered(len(paths))
	b.ReportAllocs()
	var size int
	for b.Loop() {
		data, err := tr.marshal()
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size)/float64(len(paths)), "bytes/file")
}
