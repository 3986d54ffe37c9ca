package msgtrack

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkIndex fails unless the folder index holds exactly the known files, each
// folder linked to its parent and none left empty.
func checkIndex(t *testing.T, tr *Tracker) {
	t.Helper()
	indexed := 0
	for dir, n := range tr.dirs {
		require.Falsef(t, len(n.files) == 0 && len(n.subs) == 0, "empty folder %q left in the index", dir)
		for path, e := range n.files {
			require.Equal(t, dir, dirOf(path))
			require.Same(t, tr.known[path], e, path)
			indexed++
		}
		if dir != "" {
			require.Contains(t, tr.dirs[dirOf(dir)].subs, dir)
		}
		for sub := range n.subs {
			require.Contains(t, tr.dirs, sub)
		}
	}
	require.Equal(t, len(tr.known), indexed)
}

func TestIndexFollowsKnownFiles(t *testing.T) {
	const errs = "/r/default/INT-1/AP-1/RECEIVE/error"
	rnd := rand.New(rand.NewPCG(1, 2))
	tr := New(0)
	c := newClient()
	save(t, c, tr)
	for i := range 200 {
		var files []string
		for range rnd.IntN(30) {
			files = append(files, fmt.Sprintf("%s/AP-%d/m%d.bac", errs, rnd.IntN(8), rnd.IntN(6)))
		}
		if rnd.IntN(4) == 0 {
			files = append(files, fmt.Sprintf("%s/loose%d.bac", errs, rnd.IntN(3)))
		}
		switch rnd.IntN(3) {
		case 0:
			tr.ObserveMessages(at(i), msgs(files...), nil)
		case 1:
			tr.ObserveFolders(at(i), []string{errs}, msgs(files...), nil)
		default:
			issue := fmt.Sprintf("%s/AP-%d", errs, rnd.IntN(8))
			tr.ObserveFolders(at(i), []string{issue}, msgs(files...), nil)
		}
		checkIndex(t, tr)
		if i%50 == 0 {
			save(t, c, tr)
			checkIndex(t, loaded(t, c))
		}
	}
	tr.Retain(func(Message) bool { return false })
	checkIndex(t, tr)
	assert.Empty(t, tr.dirs)
}

func TestObserveNestedFolders(t *testing.T) {
	const (
		errs = "/r/default/INT-1/AP-1/RECEIVE/error"
		a7   = errs + "/AP-7/a.bac"
		b7   = errs + "/AP-7/b.bac"
		a8   = errs + "/AP-8/a.bac"
	)
	tr := New(0)
	tr.ObserveMessages(at(0), msgs(a7, b7, a8), nil)
	tr.Delivered(3)
	// A folder and one of its issue folders in one re-list: each file is judged once.
	tr.ObserveFolders(at(1), []string{errs + "/AP-7", errs}, msgs(a7), nil)
	assert.Equal(t, []string{"resolved " + b7, "resolved " + a8}, brief(tr.Pending(0)))
	checkIndex(t, tr)
}

// BenchmarkObserveOneFolder re-lists one issue folder of error/ among 200, with
// 20,000 messages known there: its cost follows that folder's 100 files.
func BenchmarkObserveOneFolder(b *testing.B) {
	const errs = "/r/default/INT-1/AP-1/RECEIVE/error"
	tr := New(0)
	var all []Message
	for i := range 20_000 {
		all = append(all, msg(fmt.Sprintf("%s/AP-%d/m%05d.bac", errs, i%200, i)))
	}
	tr.ObserveMessages(at(0), all, nil)
	issue := errs + "/AP-7"
	var files []Message
	for _, m := range all {
		if dirOf(m.Path) == issue {
			files = append(files, m)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		tr.ObserveFolders(at(i), []string{issue}, files, nil)
	}
	if tr.PendingCount() != 20_000 {
		b.Fatalf("%d events, want only the 20,000 appearances", tr.PendingCount())
	}
}
