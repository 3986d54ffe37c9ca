package backbonereceiver

import (
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuewatch"
)

// settleDelay lets a burst of notifications settle before the folders are re-listed, so
// that a file written in several steps is listed once, complete.
const settleDelay = 25 * time.Millisecond

// folderWatch knows the watched folders the last full scan found (those whose event is
// switched on) and tells which of them to re-list between scans: the ones notification
// reports changed, and at each poll the ones it does not cover. It is used by the loop
// goroutine only.
type folderWatch struct {
	cfg     *Config
	logger  *zap.Logger
	watcher *queuewatch.Watcher // nil when events_notify is off, or before start
	folders []queuetree.Watched // from the last full scan, in its order
	byPath  map[string]queuetree.Watched
}

func newFolderWatch(cfg *Config, logger *zap.Logger) *folderWatch {
	return &folderWatch{cfg: cfg, logger: logger, byPath: map[string]queuetree.Watched{}}
}

// start starts notification when it is switched on. It never fails: where notification
// is unavailable, the watcher logs it once and every watched folder is polled.
func (w *folderWatch) start() {
	if w.cfg.EventsNotify {
		w.watcher = queuewatch.New(queuewatch.Options{Logger: w.logger})
	}
}

func (w *folderWatch) close() {
	if w.watcher != nil {
		_ = w.watcher.Close() // only the inotify descriptor's close: nothing to report
	}
}

// changed receives when notification reports a change; never without notification.
func (w *folderWatch) changed() <-chan struct{} {
	if w.watcher == nil {
		return nil
	}
	return w.watcher.Changed()
}

// pollTicks receives every events_poll_interval; never when the poll is off.
func (w *folderWatch) pollTicks() (<-chan time.Time, func()) {
	if w.cfg.EventsPollInterval <= 0 {
		return nil, func() {}
	}
	t := time.NewTicker(w.cfg.EventsPollInterval)
	return t.C, t.Stop
}

// update takes the watched folders of a full scan, those whose event is switched on, and
// watches them. A tree whose root is missing has none: nothing is watched until it is back.
func (w *folderWatch) update(tree *queuetree.Tree) {
	w.folders = queuetree.WatchedFolders(tree, func(f queuetree.Folder) bool {
		mf := messageFolderOf(f)
		return mf != nil && mf.enabled(w.cfg.Events)
	})
	clear(w.byPath)
	specs := make([]queuewatch.Folder, len(w.folders))
	for i, f := range w.folders {
		w.byPath[f.Path()] = f
		specs[i] = queuewatch.Folder{Path: f.Path(), Issues: f.Folder.HasIssues()}
	}
	if w.watcher != nil {
		w.watcher.Set(specs)
	}
}

// takeChanged returns the folders notification reported changed since the last call: of
// error/ and issue_missing/, just the issue subfolders that changed when the folder itself
// did not, so that a new message costs its issue's files, not the whole folder's.
func (w *folderWatch) takeChanged() []queuetree.Watched {
	c := w.watcher.Take()
	if c.All {
		return w.folders
	}
	out := w.lookup(c.Folders)
	for _, p := range c.Issues {
		if f, ok := w.byPath[filepath.Dir(p)]; ok {
			out = append(out, f.IssueFolder(filepath.Base(p)))
		}
	}
	return out
}

// pollFolders returns the folders to poll: those notification does not cover, or all of
// them without notification. The poll lists only those that changed since (see
// queuetree.Scanner.PollWatched).
func (w *folderWatch) pollFolders() []queuetree.Watched {
	if w.watcher == nil {
		return w.folders
	}
	return w.lookup(w.watcher.PollOnly())
}

func (w *folderWatch) lookup(paths []string) []queuetree.Watched {
	out := make([]queuetree.Watched, 0, len(paths))
	for _, p := range paths {
		if f, ok := w.byPath[p]; ok {
			out = append(out, f)
		}
	}
	return out
}

// watchedPaths returns the paths of the folders or issue subfolders, the scope of a
// re-list for the tracker.
func watchedPaths(folders []queuetree.Watched) []string {
	out := make([]string, len(folders))
	for i, f := range folders {
		out[i] = f.Path()
	}
	return out
}
