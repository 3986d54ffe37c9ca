package queuetree

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A message moved into a folder keeps the modification time it got where it
// was written; when it entered the folder is its change time, which the move
// sets. Oldest counts from the entry, so a message that waited days in one
// folder does not look days old in the next.
func TestScanEntered(t *testing.T) {
	dir := t.TempDir()
	conn := filepath.Join(dir, "default", "INT-1", "AP-1")
	seq := filepath.Join(conn, "RECEIVE", "sequence-error")
	writeTree(t, dir, map[string]string{
		"default/INT-1/AP-1/RECEIVE/sequence-error/waiting.bac": "w",
		"default/INT-1/AP-1/RECEIVE/moved.bac":                  "m",
	})
	written := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, chtimes(filepath.Join(conn, "RECEIVE", "moved.bac"), written))
	waiting, err := os.Stat(filepath.Join(seq, "waiting.bac"))
	require.NoError(t, err)
	// Change times come from a coarse clock: step past its granularity so the
	// move is later than the first message's arrival.
	time.Sleep(50 * time.Millisecond)
	beforeMove := time.Now()
	require.NoError(t, os.Rename(filepath.Join(conn, "RECEIVE", "moved.bac"), filepath.Join(seq, "moved.bac")))

	tree := NewScanner(Options{Root: dir}).Scan(t.Context())
	require.Len(t, tree.Connectors, 1)
	fs := tree.Connectors[0].Folder(SequenceError)
	require.Len(t, fs.Files, 2)
	moved, first := fs.Files[0], fs.Files[1]
	require.Equal(t, "moved.bac", moved.Name)

	assert.True(t, moved.ModTime.Equal(written), "a move keeps the modification time")
	assert.False(t, moved.Entered.Before(beforeMove.Add(-10*time.Millisecond)), "entered at the move: %s, moved after %s", moved.Entered, beforeMove)
	assert.False(t, moved.Entered.After(time.Now()))
	assert.True(t, first.Entered.Equal(first.ModTime) || first.Entered.After(first.ModTime))
	assert.True(t, first.ModTime.Equal(waiting.ModTime()))
	assert.True(t, first.Entered.Before(moved.Entered), "%s before %s", first.Entered, moved.Entered)
	assert.True(t, fs.Oldest.Equal(first.Entered), "the oldest is the message waiting longest here, not the one written first")
}

func TestFileStatEntered(t *testing.T) {
	early, late := time.Unix(100, 0), time.Unix(200, 0)
	tests := []struct {
		desc         string
		mtime, ctime time.Time
		want         time.Time
	}{
		{desc: "moved in: change time", mtime: early, ctime: late, want: late},
		{desc: "written in place: both", mtime: late, ctime: late, want: late},
		{desc: "modification time set ahead", mtime: late, ctime: early, want: late},
		{desc: "no change time", mtime: early, want: early},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, tt.want, fileStat{mtime: tt.mtime, ctime: tt.ctime}.entered())
		})
	}
}
