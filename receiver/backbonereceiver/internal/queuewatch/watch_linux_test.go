//go:build linux

package queuewatch

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestNotifies(t *testing.T) {
	tests := []struct {
		desc   string
		action func(t *testing.T, errs, seq, sendErr string)
		want   func(errs, seq, sendErr string) string
	}{
		{
			desc:   "a file created in an issue folder of error/",
			action: func(t *testing.T, errs, _, _ string) { write(t, filepath.Join(errs, "AP-1", "m.bac")) },
			want:   func(errs, _, _ string) string { return filepath.Join(errs, "AP-1") },
		},
		{
			desc:   "a file created in SEND/error/",
			action: func(t *testing.T, _, _, sendErr string) { write(t, filepath.Join(sendErr, "m.bac")) },
			want:   func(_, _, sendErr string) string { return sendErr },
		},
		{
			desc: "a file moved into sequence-error/",
			action: func(t *testing.T, _, seq, _ string) {
				tmp := filepath.Join(filepath.Dir(seq), "m.bac")
				write(t, tmp)
				require.NoError(t, os.Rename(tmp, filepath.Join(seq, "m.bac")))
			},
			want: func(_, seq, _ string) string { return seq },
		},
		{
			desc: "a file moved out of an issue folder to archive/",
			action: func(t *testing.T, errs, _, _ string) {
				path := filepath.Join(errs, "AP-1", "m.bac")
				write(t, path)
				require.NoError(t, os.Rename(path, filepath.Join(filepath.Dir(errs), "archive", "m.bac")))
			},
			want: func(errs, _, _ string) string { return filepath.Join(errs, "AP-1") },
		},
		{
			desc: "a new issue folder",
			action: func(t *testing.T, errs, _, _ string) {
				require.NoError(t, os.Mkdir(filepath.Join(errs, "AP-9"), 0o755))
			},
			want: func(errs, _, _ string) string { return filepath.Join(errs, "AP-9") },
		},
		{
			desc:   "an issue folder removed",
			action: func(t *testing.T, errs, _, _ string) { require.NoError(t, os.Remove(filepath.Join(errs, "AP-1"))) },
			want:   func(errs, _, _ string) string { return filepath.Join(errs, "AP-1") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			errs, seq, sendErr, folders := layout(t, t.TempDir())
			w, logs := startWatcher(t, Options{}, nil)
			settle(t, w, folders)
			tt.action(t, errs, seq, sendErr)
			c := waitFor(t, w, tt.want(errs, seq, sendErr))
			assert.False(t, c.All)
			assert.Empty(t, w.PollOnly())
			assert.Zero(t, logs.Len(), "no fallback: %v", logs.All())
		})
	}
}

// TestNewIssueFolderIsWatched proves that a file added to an issue folder
// made after the watch started is noticed, and that only the watched
// folders and their issue folders hold a watch: never archive/ or RECEIVE/.
func TestNewIssueFolderIsWatched(t *testing.T) {
	errs, seq, sendErr, folders := layout(t, t.TempDir())
	w, _ := startWatcher(t, Options{}, nil)
	settle(t, w, folders)

	issue := filepath.Join(errs, "AP-9")
	require.NoError(t, os.Mkdir(issue, 0o755))
	waitFor(t, w, issue)
	write(t, filepath.Join(issue, "m.bac"))
	assert.Equal(t, Change{Issues: []string{issue}}, waitFor(t, w, issue), "the issue folder alone")

	receive := filepath.Dir(errs)
	write(t, filepath.Join(receive, "archive", "a.bac"))
	write(t, filepath.Join(receive, "new.bac"))
	write(t, filepath.Join(sendErr, "m.bac"))
	c := waitFor(t, w, sendErr)
	assert.NotContains(t, c.Folders, receive)
	assert.NotContains(t, c.Folders, filepath.Join(receive, "archive"))
	w.mu.Lock()
	defer w.mu.Unlock()
	var watched []string
	for _, ref := range w.byWatch {
		watched = append(watched, ref.path)
	}
	assert.ElementsMatch(t, []string{errs, filepath.Join(errs, "AP-1"), filepath.Join(errs, "AP-9"), seq, sendErr}, watched)
	assert.Equal(t, 5, w.watches)
}

func TestChangesCoalesce(t *testing.T) {
	_, _, sendErr, folders := layout(t, t.TempDir())
	w, _ := startWatcher(t, Options{}, nil)
	settle(t, w, folders)
	for i := range 200 {
		write(t, filepath.Join(sendErr, fmt.Sprintf("m%03d.bac", i)))
	}
	waitUntil(t, "200 files noticed", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		_, ok := w.changed[sendErr]
		return ok
	})
	<-w.Changed()
	assert.Equal(t, Change{Folders: []string{sendErr}}, w.Take())
}

func TestSetReportsNewlyWatchedFolders(t *testing.T) {
	errs, seq, sendErr, folders := layout(t, t.TempDir())
	w, _ := startWatcher(t, Options{}, nil)
	w.Set(folders)
	<-w.Changed()
	assert.Equal(t, Change{Folders: []string{errs, seq, sendErr}}, w.Take(), "each may have changed between the scan and its watch")
	w.Set(folders)
	assert.Empty(t, w.Take().Folders, "watched already: nothing to re-list")
	w.Set(folders[:1])
	w.mu.Lock()
	assert.Equal(t, 2, w.watches, "error/ and its issue folder")
	w.mu.Unlock()
}

func TestMissingFolderIsPolledSilently(t *testing.T) {
	_, _, sendErr, folders := layout(t, t.TempDir())
	require.NoError(t, os.Remove(sendErr))
	w, logs := startWatcher(t, Options{}, nil)
	settle(t, w, folders)
	assert.Equal(t, []string{sendErr}, w.PollOnly())

	require.NoError(t, os.Mkdir(sendErr, 0o755))
	w.Set(folders) // the next full scan
	assert.Equal(t, []string{sendErr}, w.Take().Folders)
	assert.Empty(t, w.PollOnly())
	write(t, filepath.Join(sendErr, "m.bac"))
	waitFor(t, w, sendErr)
	assert.Zero(t, logs.Len(), "a folder Backbone has not made yet is no fault: %v", logs.All())
}

func TestClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	_, _, sendErr, folders := layout(t, t.TempDir())
	w := New(Options{})
	w.Set(folders)
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "a second Close does nothing")
	w.Set(folders)
	write(t, filepath.Join(sendErr, "m.bac"))
	w.mu.Lock()
	assert.Nil(t, w.ino, "Set after Close starts nothing")
	w.mu.Unlock()
}

// TestParentRenamed proves that a folder whose parent was renamed away, and
// made again, is watched at its path again after the next full scan.
func TestParentRenamed(t *testing.T) {
	_, _, sendErr, folders := layout(t, t.TempDir())
	w, logs := startWatcher(t, Options{}, nil)
	settle(t, w, folders)
	send := filepath.Dir(sendErr)
	require.NoError(t, os.Rename(send, send+".old"))
	require.NoError(t, os.MkdirAll(sendErr, 0o755))

	w.Set(folders) // the next full scan
	assert.Equal(t, []string{sendErr}, w.Take().Folders, "the new folder may hold anything")
	write(t, filepath.Join(sendErr, "m.bac"))
	waitFor(t, w, sendErr)
	assert.Zero(t, logs.Len(), "%v", logs.All())
}

// TestMissingFolderIsWatchedWhenMade proves that a watched folder that does not exist yet is
// watched as soon as it is made, with a change reported, rather than at the next Set; that it
// is polled meanwhile, silently; and that the watch on its parent is dropped once no folder
// waits on it.
func TestMissingFolderIsWatchedWhenMade(t *testing.T) {
	for _, tt := range []struct {
		desc string
		make func(t *testing.T, path string)
	}{
		{desc: "made in place", make: func(t *testing.T, p string) { require.NoError(t, os.Mkdir(p, 0o755)) }},
		{desc: "moved in", make: func(t *testing.T, p string) {
			tmp := filepath.Join(t.TempDir(), "made")
			require.NoError(t, os.Mkdir(tmp, 0o755))
			require.NoError(t, os.Rename(tmp, p))
		}},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			root := t.TempDir() // the moves stay on one file system: TempDirs share one
			_, seq, _, folders := layout(t, root)
			offline := filepath.Join(filepath.Dir(seq), "offline")
			folders = append(folders, Folder{Path: offline})
			w, logs := startWatcher(t, Options{}, nil)
			settle(t, w, folders)
			assert.Equal(t, []string{offline}, w.PollOnly(), "polled while missing")
			w.mu.Lock()
			assert.Len(t, w.parents, 1, "RECEIVE/ is watched for its creation")
			w.mu.Unlock()

			tt.make(t, offline)
			waitFor(t, w, offline)
			assert.Empty(t, w.PollOnly(), "watched from its creation on")
			write(t, filepath.Join(offline, "m.bac"))
			waitFor(t, w, offline)

			w.Set(folders) // the next full scan
			w.mu.Lock()
			assert.Empty(t, w.parents, "no folder waits on RECEIVE/ any more")
			assert.Equal(t, 5, w.watches, "the four folders and error/'s issue folder: %v", w.byWatch)
			w.mu.Unlock()
			assert.Zero(t, logs.Len(), "a missing folder is no fallback to log: %v", logs.All())
		})
	}
}
