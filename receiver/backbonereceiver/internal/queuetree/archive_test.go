package queuetree

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestArchiveInterval moves messages into archive/ between scans and checks, on a fake
// clock, that the archive is listed at the first scan, its count reused until
// ArchiveInterval has passed, then listed again; with or without details.
func TestArchiveInterval(t *testing.T) {
	for _, details := range []bool{false, true} {
		t.Run(fmt.Sprintf("details=%t", details), func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, connectorTree("default/INT-1/AP-1"))
			receive := filepath.Join(root, "default", "INT-1", "AP-1", "RECEIVE")
			s := NewScanner(Options{Root: root, ArchiveDetails: details, ArchiveInterval: 5 * time.Minute})
			start := time.Now()
			archived := 0
			steps := []struct {
				after time.Duration // since the first scan
				want  int64         // archived messages reported
			}{
				{0, 2},                  // the first scan lists
				{time.Minute, 2},        // reused, although a message came in
				{4 * time.Minute, 2},    // still reused
				{5 * time.Minute, 5},    // listed again: the interval has passed
				{6 * time.Minute, 5},    // reused from the second listing
				{10 * time.Minute, 7},   // listed again
				{10*time.Minute + 1, 7}, // reused
			}
			for _, step := range steps {
				s.now = func() time.Time { return start.Add(step.after) }
				a := s.Scan(t.Context()).Connectors[0].Folder(Archive)
				assert.Equal(t, step.want, a.Messages, "after %s", step.after)
				assert.True(t, a.Exists)
				assert.Equal(t, details, a.BytesKnown)
				if details {
					assert.Equal(t, 5+3*(step.want-2), a.Bytes, "after %s", step.after)
				}
				archived++
				name := fmt.Sprintf("n%d.bac", archived)
				require.NoError(t, os.WriteFile(filepath.Join(receive, name), []byte("new"), 0o644))
				require.NoError(t, os.Rename(filepath.Join(receive, name), filepath.Join(receive, "archive", name)))
			}
		})
	}
}

// TestArchiveIntervalZero lists archive/ at every scan.
func TestArchiveIntervalZero(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, connectorTree("default/INT-1/AP-1"))
	archive := filepath.Join(root, "default", "INT-1", "AP-1", "RECEIVE", "archive")
	s := NewScanner(Options{Root: root})
	for want := int64(2); want < 5; want++ {
		assert.Equal(t, want, s.Scan(t.Context()).Connectors[0].Folder(Archive).Messages)
		writeTree(t, archive, map[string]string{fmt.Sprintf("n%d.bac", want): ""})
	}
}

// TestArchiveIntervalPerFolder checks that each archive keeps its own listing: one that
// appears between listings of the others is listed at once, and one that failed to list
// is listed again at the next scan.
func TestArchiveIntervalPerFolder(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, connectorTree("default/INT-1/AP-1"))
	s := NewScanner(Options{Root: root, ArchiveInterval: time.Hour})
	require.Equal(t, int64(2), s.Scan(t.Context()).Connectors[0].Folder(Archive).Messages)

	writeTree(t, root, connectorTree("default/INT-2/BP-1"))
	unreadable := filepath.Join(root, "default", "INT-2", "BP-1", "RECEIVE", "archive")
	require.NoError(t, os.Chmod(unreadable, 0))
	t.Cleanup(func() { _ = os.Chmod(unreadable, 0o755) })
	tree := s.Scan(t.Context())
	if os.Geteuid() != 0 { // root reads it anyway
		require.Len(t, tree.Problems, 1)
		assert.Equal(t, unreadable, tree.Problems[0].Path)
	}
	require.NoError(t, os.Chmod(unreadable, 0o755))
	writeTree(t, unreadable, map[string]string{"b3.bac": ""})
	tree = s.Scan(t.Context())
	assert.Empty(t, tree.Problems)
	require.Len(t, tree.Connectors, 2)
	assert.Equal(t, int64(2), tree.Connectors[0].Folder(Archive).Messages)
	if os.Geteuid() != 0 {
		assert.Equal(t, int64(3), tree.Connectors[1].Folder(Archive).Messages, "listed again after its failure")
	}
}

// TestArchiveIntervalDropsVanishedArchives checks that the kept listings follow the tree.
func TestArchiveIntervalDropsVanishedArchives(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, merge(connectorTree("default/INT-1/AP-1"), connectorTree("default/INT-1/AP-2")))
	s := NewScanner(Options{Root: root, ArchiveInterval: time.Hour})
	s.Scan(t.Context())
	require.Len(t, s.archives.entries, 2)
	require.NoError(t, os.RemoveAll(filepath.Join(root, "default", "INT-1", "AP-2")))
	s.Scan(t.Context())
	assert.Len(t, s.archives.entries, 1)
	require.NoError(t, os.RemoveAll(filepath.Join(root, "default")))
	s.Scan(t.Context())
	assert.Empty(t, s.archives.entries)
}
