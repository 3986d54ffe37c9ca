//go:build !linux

package queuewatch

import "errors"

// inotify stands for the notification this platform lacks.
type inotify struct{}

// fileID is unused where nothing is watched.
type fileID struct{}

var errUnsupported = errors.New("change notification is implemented for Linux only")

func openInotify() (*inotify, error) { return nil, errUnsupported }

// networkFS cannot tell here; every folder is polled anyway.
func networkFS(string) string { return "" }

// New returns a watcher that never notifies: every folder is poll only.
func New(opts Options) *Watcher {
	w := newWatcher(opts)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.initErr = errUnsupported
	w.logFallbacks()
	return w
}

// Set makes folders the watched set; all of them are poll only.
func (w *Watcher) Set(folders []Folder) {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.folders)
	for _, f := range folders {
		w.folders[f.Path] = &folder{spec: f, wd: -1}
	}
}

// Close stops the watcher.
func (w *Watcher) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return nil
}
