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
// stale while unchanged archive folders are served from the cache.
func TestScanSeesChanges(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, merge(connectorTree("default/INT-1/AP-1"), connectorTree("default/INT-2/BP-1")))
	conn := filepath.Join(dir, "default", "INT-1", "AP-1")
	archive := filepath.Join(conn, "RECEIVE", "archive")

	tests := []struct {
		desc        string
		change      func(t *testing.T)
		archive     int64
		receive     int64
		errBytes    int64
		connectors  int
		cached      int // archive folders served from the cache
		cacheLength int
	}{
		{desc: "first scan", change: func(*testing.T) {}, archive: 2, receive: 1, errBytes: 9, connectors: 2, cached: 0, cacheLength: 2},
		{desc: "nothing changed", change: func(*testing.T) {}, archive: 2, receive: 1, errBytes: 9, connectors: 2, cached: 2, cacheLength: 2},
		{
			desc: "file added to archive",
			change: func(t *testing.T) {
				writeTree(t, dir, map[string]string{"default/INT-1/AP-1/RECEIVE/archive/a3.bac": "a"})
			},
			archive: 3, receive: 1, errBytes: 9, connectors: 2, cached: 1, cacheLength: 2,
		},
		{
			desc:    "file removed from archive",
			change:  func(t *testing.T) { require.NoError(t, os.Remove(filepath.Join(archive, "a1.bac"))) },
			archive: 2, receive: 1, errBytes: 9, connectors: 2, cached: 1, cacheLength: 2,
		},
		{
			desc: "message renamed from RECEIVE into archive",
			change: func(t *testing.T) {
				require.NoError(t, os.Rename(filepath.Join(conn, "RECEIVE", "m1.bac"), filepath.Join(archive, "m1.bac")))
			},
			archive: 3, receive: 0, errBytes: 9, connectors: 2, cached: 1, cacheLength: 2,
		},
		{
			desc: "file renamed inside archive",
			change: func(t *testing.T) {
				require.NoError(t, os.Rename(filepath.Join(archive, "a2.bac"), filepath.Join(archive, "b2.bac")))
			},
			archive: 3, receive: 0, errBytes: 9, connectors: 2, cached: 1, cacheLength: 2,
		},
		{
			desc: "error message rewritten in place",
			change: func(t *testing.T) {
				require.NoError(t, os.WriteFile(filepath.Join(conn, "RECEIVE", "error", "AP-1", "e1.bac"), []byte("longer"), 0o644))
			},
			archive: 3, receive: 0, errBytes: 13, connectors: 2, cached: 2, cacheLength: 2,
		},
		{
			desc:    "connector removed",
			change:  func(t *testing.T) { require.NoError(t, os.RemoveAll(filepath.Join(dir, "default", "INT-2"))) },
			archive: 3, receive: 0, errBytes: 13, connectors: 1, cached: 1, cacheLength: 1,
		},
		{
			desc:    "integration added",
			change:  func(t *testing.T) { writeTree(t, dir, connectorTree("default/INT-3/CP-1")) },
			archive: 3, receive: 0, errBytes: 13, connectors: 2, cached: 1, cacheLength: 2,
		},
		{
			desc: "archive replaced by a new folder with the same number of files",
			change: func(t *testing.T) {
				require.NoError(t, os.Rename(archive, archive+".old"))
				writeTree(t, conn, map[string]string{"RECEIVE/archive/x1": "", "RECEIVE/archive/x2": "", "RECEIVE/archive/x3": "", "RECEIVE/archive/x4": ""})
			},
			archive: 4, receive: 0, errBytes: 13, connectors: 2, cached: 1, cacheLength: 2,
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
			require.Len(t, tree.Connectors, tt.connectors)
			c := tree.Connectors[0]
			assert.Equal(t, tt.archive, c.Folder(Archive).Messages)
			assert.Equal(t, tt.receive, c.Folder(Receive).Messages)
			assert.Equal(t, tt.errBytes, c.Folder(Error).Bytes)
			assert.Equal(t, tt.cached, tree.CachedFolders)
			assert.Len(t, s.cache.entries, tt.cacheLength)
		})
	}
}

// TestScanRacyFolder creates a file in the same instant its folder was
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
			archive := filepath.Join(dir, "default", "INT-1", "AP-1", "RECEIVE", "archive")
			stamp := time.Now().Truncate(time.Second)
			require.NoError(t, chtimes(archive, stamp))

			s := NewScanner(Options{Root: dir})
			clock := stamp.Add(time.Second) // the listing happens in the instant of the folder's mtime
			s.now = func() time.Time { return clock }
			if tt.coarse {
				s.adjustKey = func(k *dirKey) { k.mtime, k.ctime = stamp.UnixNano(), stamp.UnixNano() }
			}
			scan := func() (archived int64, cached int) {
				tree := s.Scan(t.Context())
				require.Empty(t, tree.Problems)
				require.Len(t, tree.Connectors, 1)
				return tree.Connectors[0].Folder(Archive).Messages, tree.CachedFolders
			}

			n, _ := scan()
			require.EqualValues(t, 2, n)
			writeTree(t, dir, map[string]string{"default/INT-1/AP-1/RECEIVE/archive/a3.bac": "a"})
			require.NoError(t, chtimes(archive, stamp))
			n, cached := scan()
			assert.EqualValues(t, 3, n, "a racily clean folder must be listed again")
			assert.Zero(t, cached)

			// Once a listing is well after the folder's last change, the
			// count is cached: the relisting above was due to the race.
			clock = stamp.Add(time.Minute)
			n, _ = scan()
			assert.EqualValues(t, 3, n)
			n, cached = scan()
			assert.EqualValues(t, 3, n)
			assert.Equal(t, 1, cached)
		})
	}
}

func TestScanDropsCacheOfVanishedFolders(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, merge(connectorTree("default/INT-1/AP-1"), connectorTree("default/INT-1/AP-2")))
	s := NewScanner(Options{Root: dir})
	s.Scan(t.Context())
	require.Len(t, s.cache.entries, 2)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "default", "INT-1", "AP-2", "RECEIVE", "archive")))
	s.Scan(t.Context())
	assert.Len(t, s.cache.entries, 1)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "default")))
	s.Scan(t.Context())
	assert.Empty(t, s.cache.entries)
}

func TestScanCanceled(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, connectorTree("default/INT-1/AP-1"))
	s := NewScanner(Options{Root: dir})
	s.Scan(t.Context())
	require.Len(t, s.cache.entries, 1)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	tree := s.Scan(ctx)
	require.NotNil(t, tree)
	assert.Empty(t, tree.Connectors)
	require.Len(t, tree.Problems, 1)
	assert.Equal(t, ReadError, tree.Problems[0].Kind)
	assert.ErrorIs(t, tree.Problems[0].Err, context.Canceled)
	assert.Len(t, s.cache.entries, 1, "an interrupted scan keeps the cache")
}
