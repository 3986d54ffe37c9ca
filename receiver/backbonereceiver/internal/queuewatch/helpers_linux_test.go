//go:build linux

package queuewatch

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// deadline is generous: the machine may be loaded; tests never assert speed.
const deadline = 20 * time.Second

// layout makes the watched folders of one connector below root and returns
// them as a receiver hands them over: error/ with issue AP-1, sequence-error/
// and SEND/error/.
func layout(t testing.TB, root string) (errs, seq, sendErr string, folders []Folder) {
	t.Helper()
	conn := filepath.Join(root, "default", "INT-1", "AP-1")
	errs = filepath.Join(conn, "RECEIVE", "error")
	seq = filepath.Join(conn, "RECEIVE", "sequence-error")
	sendErr = filepath.Join(conn, "SEND", "error")
	for _, d := range []string{filepath.Join(errs, "AP-1"), seq, sendErr, filepath.Join(conn, "RECEIVE", "archive")} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	return errs, seq, sendErr, []Folder{{Path: errs, Issues: true}, {Path: seq}, {Path: sendErr}}
}

// startWatcher starts a watcher after hook has set its test hooks, logging
// to the returned observer, and closes it at the end of the test.
func startWatcher(t *testing.T, opts Options, hook func(*Watcher)) (*Watcher, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	opts.Logger = zap.New(core)
	w := newWatcher(opts)
	if hook != nil {
		hook(w)
	}
	w.mu.Lock()
	w.start()
	w.logFallbacks()
	w.mu.Unlock()
	t.Cleanup(func() { require.NoError(t, w.Close()) })
	return w, logs
}

// settle takes the change that a Set reports for newly watched folders.
func settle(t *testing.T, w *Watcher, folders []Folder) {
	t.Helper()
	w.Set(folders)
	w.Take()
	drain(w)
}

// drain empties a wake-up left over from changes already taken.
func drain(w *Watcher) {
	select {
	case <-w.Changed():
	default:
	}
}

// waitFor waits until the changes taken include folder, a watched folder or
// an issue subfolder (or All), and returns every change seen on the way.
func waitFor(t *testing.T, w *Watcher, folder string) Change {
	t.Helper()
	var seen Change
	timeout := time.After(deadline)
	for {
		select {
		case <-w.Changed():
		case <-timeout:
			t.Fatalf("no change of %s within %s; saw %v", folder, deadline, seen)
		}
		c := w.Take()
		seen.All = seen.All || c.All
		seen.Folders = append(seen.Folders, c.Folders...)
		seen.Issues = append(seen.Issues, c.Issues...)
		// A change of a whole folder covers its issue subfolders.
		if c.All || slices.Contains(c.Folders, folder) || slices.Contains(c.Folders, filepath.Dir(folder)) || slices.Contains(c.Issues, folder) {
			slices.Sort(seen.Folders)
			seen.Folders = slices.Compact(seen.Folders)
			slices.Sort(seen.Issues)
			seen.Issues = slices.Compact(seen.Issues)
			return seen
		}
	}
}

// waitUntil polls cond until it holds, for state that the reader changes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(deadline); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("%s did not happen within %s", what, deadline)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func write(t testing.TB, path string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte("message"), 0o644))
}
