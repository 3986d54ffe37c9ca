package queuetree

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// polled returns, relative to root, the folders a poll listed and the files it found.
func polled(t *testing.T, s *Scanner, root string, folders []Watched) (listed, files []string) {
	t.Helper()
	tree, list := s.PollWatched(t.Context(), folders)
	for _, wf := range list {
		rel, err := filepath.Rel(root, wf.Path())
		require.NoError(t, err)
		listed = append(listed, filepath.ToSlash(rel))
	}
	for _, c := range tree.Connectors {
		for _, fs := range c.Folders {
			for _, f := range fs.Files {
				rel, err := filepath.Rel(root, f.Path)
				require.NoError(t, err)
				files = append(files, filepath.ToSlash(rel))
			}
		}
	}
	slices.Sort(listed)
	slices.Sort(files)
	return listed, files
}

func TestPollListsOnlyWhatChanged(t *testing.T) {
	const conn = "default/INT-1/AP-1"
	root := t.TempDir()
	writeTree(t, root, merge(connectorTree(conn), connectorTree("default/INT-2/BP-2")))
	s := NewScanner(Options{Root: root})
	folders := WatchedFolders(s.Scan(t.Context()), allFolders)
	// Polls come well after the folders' last change: none is racily clean.
	clock := time.Now().Add(time.Minute)
	s.now = func() time.Time { return clock }
	listed, _ := polled(t, s, root, folders)
	assert.Len(t, listed, len(folders), "the first poll lists everything")

	tests := []struct {
		desc       string
		change     func(t *testing.T)
		listed     []string
		files      []string
		noProblems bool
	}{
		{desc: "nothing changed: nothing listed", change: func(*testing.T) {}},
		{
			desc:   "a message in one issue folder: that folder alone",
			change: func(t *testing.T) { writeTree(t, root, map[string]string{conn + "/RECEIVE/error/AP-1/e9.bac": "e9"}) },
			listed: []string{conn + "/RECEIVE/error/AP-1"},
			files:  []string{conn + "/RECEIVE/error/AP-1/e1.bac", conn + "/RECEIVE/error/AP-1/e2.bac", conn + "/RECEIVE/error/AP-1/e9.bac"},
		},
		{
			desc:   "a message in a folder of messages",
			change: func(t *testing.T) { writeTree(t, root, map[string]string{conn + "/SEND/error/se2.bac": "se2"}) },
			listed: []string{conn + "/SEND/error"},
			files:  []string{conn + "/SEND/error/se1.bac", conn + "/SEND/error/se2.bac"},
		},
		{
			desc:   "a new issue folder: its folder's entries are read, the new one alone listed",
			change: func(t *testing.T) { writeTree(t, root, map[string]string{conn + "/RECEIVE/error/AP-9/n.bac": "n"}) },
			listed: []string{conn + "/RECEIVE/error/AP-9"},
			files:  []string{conn + "/RECEIVE/error/AP-9/n.bac"},
		},
		{
			desc:   "an issue folder removed: listed, found gone",
			change: func(t *testing.T) { require.NoError(t, os.RemoveAll(filepath.Join(root, conn, "RECEIVE/error/AP-2"))) },
			listed: []string{conn + "/RECEIVE/error/AP-2"},
		},
		{
			desc:   "a message directly in error/: the whole folder",
			change: func(t *testing.T) { writeTree(t, root, map[string]string{conn + "/RECEIVE/error/loose.bac": "l"}) },
			listed: []string{conn + "/RECEIVE/error"},
			files: []string{
				conn + "/RECEIVE/error/AP-1/e1.bac", conn + "/RECEIVE/error/AP-1/e2.bac", conn + "/RECEIVE/error/AP-1/e9.bac",
				conn + "/RECEIVE/error/AP-9/n.bac", conn + "/RECEIVE/error/loose.bac",
			},
		},
		{
			desc:   "a folder removed: listed once, found gone",
			change: func(t *testing.T) { require.NoError(t, os.RemoveAll(filepath.Join(root, conn, "RECEIVE/offline"))) },
			listed: []string{conn + "/RECEIVE/offline"},
		},
		{
			desc:   "made again",
			change: func(t *testing.T) { writeTree(t, root, map[string]string{conn + "/RECEIVE/offline/o2.bac": "o2"}) },
			listed: []string{conn + "/RECEIVE/offline"},
			files:  []string{conn + "/RECEIVE/offline/o2.bac"},
		},
		{
			desc: "a message rewritten in place changes no folder",
			change: func(t *testing.T) {
				writeTree(t, root, map[string]string{conn + "/RECEIVE/sequence-error/s1.bac": "rewritten"})
			},
		},
	}
	for _, tt := range tests {
		tt.change(t)
		clock = clock.Add(time.Minute)
		listed, files := polled(t, s, root, folders)
		assert.Equal(t, tt.listed, listed, tt.desc)
		assert.Equal(t, tt.files, files, tt.desc)
		listed, _ = polled(t, s, root, folders)
		assert.Empty(t, listed, "%s: listed once", tt.desc)
	}
}

// TestPollChangeInSameTick changes a folder in the timestamp tick of its
// listing, on a file system whose folder times have whole seconds: the
// change leaves the folder's key as it was, and must still be seen.
func TestPollChangeInSameTick(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, connectorTree("default/INT-1/AP-1"))
	s := NewScanner(Options{Root: root})
	folders := WatchedFolders(s.Scan(t.Context()), func(f Folder) bool { return f == Offline || f == Error })
	stamp := time.Now().Truncate(time.Second)
	s.adjustKey = func(k *dirKey) { k.mtime, k.ctime, k.size = stamp.UnixNano(), stamp.UnixNano(), 0 }
	clock := stamp.Add(time.Second) // the listing happens in the tick of the folders' times
	s.now = func() time.Time { return clock }

	_, files := polled(t, s, root, folders)
	require.Len(t, files, 4)
	writeTree(t, root, map[string]string{
		"default/INT-1/AP-1/RECEIVE/offline/o2.bac":    "o2",
		"default/INT-1/AP-1/RECEIVE/error/AP-1/e4.bac": "e4",
		"default/INT-1/AP-1/RECEIVE/error/AP-7/e5.bac": "e5",
	})
	_, files = polled(t, s, root, folders)
	assert.Len(t, files, 7, "racily clean folders are listed again")

	clock = stamp.Add(time.Minute) // well after the folders' last change
	listed, _ := polled(t, s, root, folders)
	assert.NotEmpty(t, listed, "the listing in the tick cannot vouch for the folders")
	listed, _ = polled(t, s, root, folders)
	assert.Empty(t, listed, "a listing well after the change can")
}

// TestPollRetriesProblems lists a folder again at every poll while a problem
// keeps its key from vouching for its content: a subfolder where messages
// lie directly changes without its folder changing.
func TestPollRetriesProblems(t *testing.T) {
	const seq = "default/INT-1/AP-1/RECEIVE/sequence-error"
	root := t.TempDir()
	writeTree(t, root, merge(connectorTree("default/INT-1/AP-1"), map[string]string{seq + "/sub/x.bac": "x"}))
	s := NewScanner(Options{Root: root})
	folders := WatchedFolders(s.Scan(t.Context()), func(f Folder) bool { return f == SequenceError || f == Error })
	clock := time.Now().Add(time.Minute)
	s.now = func() time.Time { return clock }
	for _, want := range [][]string{
		{seq + "/s1.bac", seq + "/sub/x.bac"},
		{seq + "/s1.bac", seq + "/sub/x.bac", seq + "/sub/y.bac"},
	} {
		clock = clock.Add(time.Minute)
		listed, files := polled(t, s, root, folders)
		assert.Contains(t, listed, seq)
		assert.Subset(t, files, want)
		writeTree(t, root, map[string]string{seq + "/sub/y.bac": "y"})
	}
	require.NoError(t, os.RemoveAll(filepath.Join(root, seq, "sub")))
	clock = clock.Add(time.Minute)
	listed, files := polled(t, s, root, folders)
	assert.Equal(t, []string{seq}, listed)
	assert.Equal(t, []string{seq + "/s1.bac"}, files)
	listed, _ = polled(t, s, root, folders)
	assert.Empty(t, listed, "read whole again: vouched for")
}
