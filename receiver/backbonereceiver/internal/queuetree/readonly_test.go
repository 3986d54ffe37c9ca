package queuetree

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entrySnapshot is everything a scan could change about an entry, except
// its access time.
type entrySnapshot struct {
	Mode    fs.FileMode
	Size    int64
	ModTime time.Time
	Content string // file content or symbolic link target
}

func snapshot(t *testing.T, root string) map[string]entrySnapshot {
	t.Helper()
	out := map[string]entrySnapshot{}
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		fi, err := os.Lstat(path)
		require.NoError(t, err)
		e := entrySnapshot{Mode: fi.Mode(), Size: fi.Size(), ModTime: fi.ModTime()}
		switch {
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			e.Content = string(b)
		case fi.Mode()&fs.ModeSymlink != 0:
			e.Content, err = os.Readlink(path)
			require.NoError(t, err)
		}
		out[path] = e
		return nil
	}))
	return out
}

// TestScanChangesNothing proves that scans write, move and delete nothing,
// not even a folder's modification time.
func TestScanChangesNothing(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, merge(connectorTree("default/INT-1/AP-1"), connectorTree("default/INT-1/BP-2"), map[string]string{
		"default/INT-1/AP-1/RECEIVE/error/\xff/\xfe.bac": "odd name",
	}))
	require.NoError(t, os.Symlink("..", filepath.Join(dir, "default/INT-1/AP-1/RECEIVE/archive/loop")))
	require.NoError(t, os.Symlink("INT-1", filepath.Join(dir, "default/INT-2")))
	old := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if d.Type()&fs.ModeSymlink == 0 {
			return chtimes(path, old)
		}
		return err
	}))
	before := snapshot(t, dir)
	require.Greater(t, len(before), 50)

	for _, details := range []bool{false, true} {
		s := NewScanner(Options{Root: dir, ArchiveDetails: details})
		for range 3 {
			tree := s.Scan(t.Context())
			require.Len(t, tree.Connectors, 2)
		}
	}
	assert.Equal(t, before, snapshot(t, dir))
}
