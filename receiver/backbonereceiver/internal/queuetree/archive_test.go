package queuetree

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuewatch"
)

// fixedCounter counts the archives it knows and asks for a listing of the others.
type fixedCounter map[string]int64

func (f fixedCounter) Count(path string) (int64, bool) {
	n, ok := f[path]
	return n, ok
}

func TestScanUsesKeptArchiveCounts(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, connectorTree("default/INT-1/AP-1"))
	writeTree(t, root, connectorTree("default/INT-1/AP-2"))
	kept := filepath.Join(root, "default", "INT-1", "AP-1", "RECEIVE", "archive")
	for _, details := range []bool{false, true} {
		tree := NewScanner(Options{Root: root, ArchiveDetails: details, ArchiveCounts: fixedCounter{kept: 42}}).Scan(t.Context())
		require.Len(t, tree.Connectors, 2)
		want := int64(42)
		if details {
			want = 2 // with details every file is stat'ed: the kept count is not used
		}
		assert.Equal(t, want, tree.Connectors[0].Folder(Archive).Messages, "details %v", details)
		assert.Equal(t, int64(2), tree.Connectors[1].Folder(Archive).Messages, "listed where no count is kept")
		assert.True(t, tree.Connectors[0].Folder(Archive).Exists)
	}
}

func TestScanWithCounterFollowsMoves(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, connectorTree("default/INT-1/AP-1"))
	conn := filepath.Join(root, "default", "INT-1", "AP-1", "RECEIVE")
	counter := queuewatch.NewCounter(queuewatch.CounterOptions{})
	t.Cleanup(func() { require.NoError(t, counter.Close()) })
	s := NewScanner(Options{Root: root, ArchiveCounts: counter})
	require.Equal(t, int64(2), s.Scan(t.Context()).Connectors[0].Folder(Archive).Messages)
	for i := range 30 {
		name := fmt.Sprintf("n%d.bac", i)
		require.NoError(t, os.WriteFile(filepath.Join(conn, name), nil, 0o644))
		require.NoError(t, os.Rename(filepath.Join(conn, name), filepath.Join(conn, "archive", name)))
	}
	require.NoError(t, os.Remove(filepath.Join(conn, "archive", "a1.bac")))
	tree := s.Scan(t.Context())
	assert.Equal(t, int64(31), tree.Connectors[0].Folder(Archive).Messages)
	assert.Empty(t, tree.Problems)
}
