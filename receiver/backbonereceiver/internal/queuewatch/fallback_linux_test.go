//go:build linux

package queuewatch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/sys/unix"
)

// lines counts the log lines holding snippet.
func lines(logs *observer.ObservedLogs, snippet string) int {
	return logs.FilterMessageSnippet(snippet).Len()
}

func TestWatchLimit(t *testing.T) {
	tests := []struct {
		desc string
		// max is Options.MaxWatches; cause reaches it, recover gives a
		// watch back and returns the folders of the next full scan.
		max          int
		cause        func(t *testing.T, errs string)
		recover      func(t *testing.T, errs string, folders []Folder) []Folder
		pollOnly     func(errs, seq, sendErr string) string
		changeAtHit  bool
		afterRecover func(errs, seq, sendErr string) string
	}{
		{
			desc:     "reached at Set: the last folder in path order is polled",
			max:      3, // error/, its issue folder, sequence-error/
			cause:    func(*testing.T, string) {},
			pollOnly: func(_, _, sendErr string) string { return sendErr },
			recover: func(_ *testing.T, _ string, folders []Folder) []Folder {
				return []Folder{folders[0], folders[2]} // sequence-error/ no longer watched
			},
			afterRecover: func(_, _, sendErr string) string { return sendErr },
		},
		{
			desc: "reached by a new issue folder: its error/ is polled",
			max:  4,
			cause: func(t *testing.T, errs string) {
				require.NoError(t, os.Mkdir(filepath.Join(errs, "AP-9"), 0o755))
			},
			pollOnly:    func(errs, _, _ string) string { return errs },
			changeAtHit: true,
			recover: func(t *testing.T, errs string, folders []Folder) []Folder {
				require.NoError(t, os.Remove(filepath.Join(errs, "AP-1")))
				return folders
			},
			afterRecover: func(errs, _, _ string) string { return filepath.Join(errs, "AP-9") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			errs, seq, sendErr, folders := layout(t, t.TempDir())
			w, logs := startWatcher(t, Options{MaxWatches: tt.max}, nil)
			settle(t, w, folders)
			tt.cause(t, errs)
			if tt.changeAtHit {
				waitFor(t, w, filepath.Join(errs, "AP-9"))
			}
			polled := tt.pollOnly(errs, seq, sendErr)
			waitUntil(t, "limit reached", func() bool { return fmt.Sprint(w.PollOnly()) == fmt.Sprint([]string{polled}) })
			w.Set(folders) // a full scan while the limit holds: no second line
			assert.Equal(t, 1, lines(logs, "watch limit is reached"), "%v", logs.All())
			entry := logs.FilterMessageSnippet("watch limit is reached").All()[0]
			assert.Equal(t, polled, entry.ContextMap()["example"])
			assert.Contains(t, entry.ContextMap()["error"], "no space left on device")

			w.Set(tt.recover(t, errs, folders))
			assert.Empty(t, w.PollOnly())
			assert.Equal(t, 1, lines(logs, "watch limit no longer"))
			target := tt.afterRecover(errs, seq, sendErr)
			write(t, filepath.Join(target, "m.bac"))
			waitFor(t, w, target)
		})
	}
}

func TestFolderRemovedOrReplaced(t *testing.T) {
	tests := []struct {
		desc   string
		folder func(errs, sendErr string) string
		change func(t *testing.T, path string)
	}{
		{desc: "SEND/error/ removed", folder: func(_, s string) string { return s }, change: func(t *testing.T, p string) { require.NoError(t, os.RemoveAll(p)) }},
		{
			desc:   "SEND/error/ replaced by a new folder",
			folder: func(_, s string) string { return s },
			change: func(t *testing.T, p string) {
				require.NoError(t, os.Rename(p, p+".old"))
				require.NoError(t, os.Mkdir(p, 0o755))
			},
		},
		{desc: "error/ removed with its issue folders", folder: func(e, _ string) string { return e }, change: func(t *testing.T, p string) { require.NoError(t, os.RemoveAll(p)) }},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			errs, _, sendErr, folders := layout(t, t.TempDir())
			path := tt.folder(errs, sendErr)
			w, logs := startWatcher(t, Options{}, nil)
			settle(t, w, folders)

			tt.change(t, path)
			waitFor(t, w, path)
			waitUntil(t, "poll only", func() bool { return fmt.Sprint(w.PollOnly()) == fmt.Sprint([]string{path}) })
			assert.Equal(t, 1, lines(logs, "removed or replaced while watched"), "%v", logs.All())

			require.NoError(t, os.MkdirAll(path, 0o755))
			w.Set(folders) // the next full scan
			assert.Empty(t, w.PollOnly())
			assert.Equal(t, 1, lines(logs, "removed or replaced are watched again"))
			assert.Equal(t, 2, logs.Len(), "one line each way: %v", logs.All())
			write(t, filepath.Join(path, "m.bac"))
			waitFor(t, w, path)
		})
	}
}

func TestQueueOverflow(t *testing.T) {
	errs, _, sendErr, folders := layout(t, t.TempDir())
	gate := make(chan struct{})
	w, logs := startWatcher(t, Options{}, func(w *Watcher) { w.beforeRead = func() { <-gate } })
	settle(t, w, folders)

	// Two events per file (created, closed after writing): more than the
	// kernel queues while the reader is held back.
	raw, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events")
	require.NoError(t, err)
	queued, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	require.NoError(t, err)
	for i := range queued/2 + 100 {
		write(t, filepath.Join(sendErr, fmt.Sprintf("m%06d.bac", i)))
	}
	require.NoError(t, os.Mkdir(filepath.Join(errs, "AP-9"), 0o755)) // lost with the overflow
	close(gate)

	c := waitFor(t, w, "everything")
	assert.True(t, c.All, "everything may have changed")
	assert.Len(t, w.PollOnly(), 3)
	assert.Equal(t, 1, lines(logs, "queue overflowed"), "%v", logs.All())

	w.Set(folders) // the next full scan
	assert.Empty(t, w.PollOnly())
	assert.Equal(t, 1, lines(logs, "notified again after the event queue overflowed"))
	write(t, filepath.Join(errs, "AP-9", "m.bac"))
	waitFor(t, w, filepath.Join(errs, "AP-9"))
}

func TestUnmounted(t *testing.T) {
	mnt := t.TempDir()
	mount := func() {
		if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
			t.Skipf("cannot mount a tmpfs here: %v", err)
		}
	}
	mount()
	t.Cleanup(func() { _ = unix.Unmount(mnt, unix.MNT_DETACH) })
	_, _, _, folders := layout(t, mnt)
	w, logs := startWatcher(t, Options{}, nil)
	settle(t, w, folders)

	require.NoError(t, unix.Unmount(mnt, 0))
	waitUntil(t, "every folder polled", func() bool { return len(w.PollOnly()) == 3 })
	waitFor(t, w, folders[0].Path)
	assert.Equal(t, 1, lines(logs, "holding watched folders was unmounted"), "%v", logs.All())

	w.Set(folders) // a full scan while unmounted: the folders are missing
	assert.Len(t, w.PollOnly(), 3)
	mount()
	layout(t, mnt)
	w.Set(folders)
	assert.Empty(t, w.PollOnly())
	assert.Equal(t, 1, lines(logs, "holding watched folders was unmounted"))
	assert.Equal(t, 1, lines(logs, "file system was unmounted are watched again"))
	write(t, filepath.Join(folders[2].Path, "m.bac"))
	waitFor(t, w, folders[2].Path)
}

func TestNotificationUnavailable(t *testing.T) {
	_, _, sendErr, folders := layout(t, t.TempDir())
	fails := 2
	w, logs := startWatcher(t, Options{}, func(w *Watcher) {
		w.open = func() (*inotify, error) {
			if fails > 0 {
				fails--
				return nil, os.NewSyscallError("inotify_init1", unix.EMFILE)
			}
			return openInotify()
		}
	})
	w.Set(folders) // still failing
	assert.Len(t, w.PollOnly(), 3)
	assert.Equal(t, 1, lines(logs, "notification is unavailable"), "%v", logs.All())
	assert.Contains(t, logs.All()[0].ContextMap()["error"], "too many open files")

	w.Set(folders)
	assert.Empty(t, w.PollOnly())
	assert.Equal(t, 1, lines(logs, "works again"))
	drain(w)
	w.Take()
	write(t, filepath.Join(sendErr, "m.bac"))
	waitFor(t, w, sendErr)
}

func TestNetworkFileSystem(t *testing.T) {
	_, _, sendErr, folders := layout(t, t.TempDir())
	shared := true
	w, logs := startWatcher(t, Options{}, func(w *Watcher) {
		w.fsName = func(p string) string {
			if shared && p == sendErr {
				return "nfs"
			}
			return ""
		}
	})
	w.Set(folders)
	w.Set(folders)
	assert.Equal(t, []string{sendErr}, w.PollOnly())
	require.Equal(t, 1, lines(logs, "network file system"), "%v", logs.All())
	assert.Equal(t, "nfs", logs.All()[0].ContextMap()["file_system"])

	shared = false
	w.Set(folders)
	assert.Empty(t, w.PollOnly())
	assert.Equal(t, 1, lines(logs, "No watched folder is on a network file system"))
}

func TestReasonOf(t *testing.T) {
	tests := []struct {
		desc string
		err  error
		want reason
	}{
		{desc: "missing", err: unix.ENOENT, want: missing},
		{desc: "a file or a symbolic link", err: unix.ENOTDIR, want: missing},
		{desc: "the kernel's watch limit", err: os.NewSyscallError("inotify_add_watch", unix.ENOSPC), want: limit},
		{desc: "the option's watch limit", err: errLimit, want: limit},
		{desc: "permission denied", err: unix.EACCES, want: failed},
		{desc: "anything else", err: errors.New("odd"), want: failed},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, tt.want, reasonOf(tt.err))
		})
	}
}
