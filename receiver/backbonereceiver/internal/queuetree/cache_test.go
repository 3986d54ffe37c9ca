package queuetree

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScanSeesChanges makes changes between scans of one Scanner whose
// listings look old enough to be cached, and checks that no count is ever
// stale while unchanged empty folders are not listed again.
func TestScanSeesChanges(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, merge(connectorTree("default/INT-1/AP-1"), connectorTree("default/INT-2/BP-1")))
	conn := filepath.Join(dir, "default", "INT-1", "AP-1")
	archive := filepath.Join(conn, "RECEIVE", "archive")
	remove := func(rel string) func(t *testing.T) {
		return func(t *testing.T) { require.NoError(t, os.RemoveAll(filepath.Join(conn, rel))) }
	}
	add := func(rel string) func(t *testing.T) {
		return func(t *testing.T) { writeTree(t, conn, map[string]string{rel: "new"}) }
	}
	nothing := func(*testing.T) {}

	// want is what the first connector (AP-1) holds after the change.
	type want struct {
		archive, receive, offline, missing, errBytes int64
		connectors                                   int
		cached                                       int // folders not listed
		cacheLength                                  int
	}
	tests := []struct {
		desc   string
		change func(t *testing.T)
		want   want
	}{
		{"first scan", nothing, want{2, 1, 1, 1, 9, 2, 0, 0}},
		{"nothing changed", nothing, want{2, 1, 1, 1, 9, 2, 0, 0}},
		{"file added to archive", add("RECEIVE/archive/a3.bac"), want{3, 1, 1, 1, 9, 2, 0, 0}},
		{"file removed from archive", remove("RECEIVE/archive/a1.bac"), want{2, 1, 1, 1, 9, 2, 0, 0}},
		{
			"message renamed from RECEIVE into archive",
			func(t *testing.T) {
				require.NoError(t, os.Rename(filepath.Join(conn, "RECEIVE", "m1.bac"), filepath.Join(archive, "m1.bac")))
			},
			want{3, 0, 1, 1, 9, 2, 0, 0},
		},
		{
			"file renamed inside archive",
			func(t *testing.T) {
				require.NoError(t, os.Rename(filepath.Join(archive, "a2.bac"), filepath.Join(archive, "b2.bac")))
			},
			want{3, 0, 1, 1, 9, 2, 0, 0},
		},
		{
			"error message rewritten in place",
			func(t *testing.T) {
				require.NoError(t, os.WriteFile(filepath.Join(conn, "RECEIVE", "error", "AP-1", "e1.bac"), []byte("longer"), 0o644))
			},
			want{3, 0, 1, 1, 13, 2, 0, 0},
		},
		{"offline emptied", remove("RECEIVE/offline/o1.bac"), want{3, 0, 0, 1, 13, 2, 0, 1}},
		{"empty folder unchanged", nothing, want{3, 0, 0, 1, 13, 2, 1, 1}},
		{"file added to the empty folder", add("RECEIVE/offline/o2.bac"), want{3, 0, 1, 1, 13, 2, 0, 0}},
		{"issue folders emptied but kept", remove("RECEIVE/issue-missing/AP-4/i1.bac"), want{3, 0, 1, 0, 13, 2, 0, 0}},
		{"file added to an empty issue folder", add("RECEIVE/issue-missing/AP-4/i2.bac"), want{3, 0, 1, 1, 13, 2, 0, 0}},
		{"connector removed", func(t *testing.T) { require.NoError(t, os.RemoveAll(filepath.Join(dir, "default", "INT-2"))) }, want{3, 0, 1, 1, 13, 1, 0, 0}},
		{"integration added", func(t *testing.T) { writeTree(t, dir, connectorTree("default/INT-3/CP-1")) }, want{3, 0, 1, 1, 13, 2, 0, 0}},
		{
			"archive replaced by a new folder with the same number of files",
			func(t *testing.T) {
				require.NoError(t, os.Rename(archive, filepath.Join(conn, "archive.old"))) // kept aside, out of RECEIVE
				writeTree(t, conn, map[string]string{"RECEIVE/archive/x1": "", "RECEIVE/archive/x2": "", "RECEIVE/archive/x3": ""})
			},
			want{3, 0, 1, 1, 13, 2, 0, 0},
		},
	}
	s := NewScanner(Options{Root: dir})
	// Listings look a minute older than the folders' last change, as in a
	// deployment that scans every minute: nothing is racy.
	s.now = func() time.Time { return time.Now().Add(time.Minute) }
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			tt.change(t)
			tree := s.Scan(t.Context())
			require.Empty(t, tree.Problems)
			require.Len(t, tree.Connectors, tt.want.connectors)
			c := tree.Connectors[0]
			assert.Equal(t, tt.want, want{
				archive:     c.Folder(Archive).Messages,
				receive:     c.Folder(Receive).Messages,
				offline:     c.Folder(Offline).Messages,
				missing:     c.Folder(IssueMissing).Messages,
				errBytes:    c.Folder(Error).Bytes,
				connectors:  len(tree.Connectors),
				cached:      s.lastCached,
				cacheLength: len(s.empty.entries),
			})
		})
	}
}

// TestScanRacyFolder creates a file in the same instant an empty folder was
// listed, and checks the next scan lists the folder again.
func TestScanRacyFolder(t *testing.T) {
	tests := []struct {
		desc string
		// coarse simulates a file system whose folder timestamps did not
		// change with the new file (1 or 2 s granularity): the folder key
		// is the same before and after.
		coarse bool
	}{
		{desc: "real timestamps, mtime set back with Chtimes"},
		{desc: "coarse timestamps", coarse: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, connectorTree("default/INT-1/AP-1"))
			conn := filepath.Join(dir, "default", "INT-1", "AP-1")
			folder := filepath.Join(conn, filepath.FromSlash(Offline.Dir()))
			require.NoError(t, os.Remove(filepath.Join(conn, "RECEIVE", "offline", "o1.bac")))
			stamp := time.Now().Truncate(time.Second)
			require.NoError(t, chtimes(folder, stamp))

			s := NewScanner(Options{Root: dir})
			clock := stamp.Add(time.Second) // the listing happens in the instant of the folder's mtime
			s.now = func() time.Time { return clock }
			if tt.coarse {
				s.adjustKey = func(k *dirKey) { k.mtime, k.ctime = stamp.UnixNano(), stamp.UnixNano() }
			}
			scan := func() (messages int64, cached int) {
				tree := s.Scan(t.Context())
				require.Empty(t, tree.Problems)
				require.Len(t, tree.Connectors, 1)
				return tree.Connectors[0].Folder(Offline).Messages, s.lastCached
			}

			before, _ := scan()
			writeTree(t, folder, map[string]string{"new.bac": "a"})
			require.NoError(t, chtimes(folder, stamp))
			n, cached := scan()
			assert.Equal(t, before+1, n, "a racily clean folder must be listed again")
			assert.Zero(t, cached)

			// Once a listing is well after the folder's last change, the
			// count is cached: the relisting above was due to the race.
			require.NoError(t, os.Remove(filepath.Join(folder, "new.bac")))
			require.NoError(t, chtimes(folder, stamp))
			clock = stamp.Add(time.Minute)
			n, _ = scan()
			assert.Equal(t, before, n)
			n, cached = scan()
			assert.Equal(t, before, n)
			assert.Equal(t, 1, cached, "the empty offline folder")
		})
	}
}

func TestScanCanceled(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, connectorTree("default/INT-1/AP-1"))
	s := NewScanner(Options{Root: dir, ArchiveInterval: time.Hour})
	s.Scan(t.Context())
	require.Len(t, s.archives.entries, 1)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	tree := s.Scan(ctx)
	require.NotNil(t, tree)
	assert.Empty(t, tree.Connectors)
	require.Len(t, tree.Problems, 1)
	assert.Equal(t, ReadError, tree.Problems[0].Kind)
	assert.ErrorIs(t, tree.Problems[0].Err, context.Canceled)
	assert.Len(t, s.archives.entries, 1, "an interrupted scan keeps the archives' listings")
}
