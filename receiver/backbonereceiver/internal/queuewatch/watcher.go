package queuewatch

import (
	"path/filepath"
	"slices"
	"sync"

	"go.uber.org/zap"
)

// Folder is one folder to watch.
type Folder struct {
	Path string
	// Issues is set for folders holding one subfolder per issue (error/,
	// issue-missing/): those subfolders are watched too, and a change in
	// one, or one appearing, is a change of Path.
	Issues bool
}

// Change is what happened since the last Take.
type Change struct {
	Folders []string // Folder.Path of the folders that changed as a whole, sorted
	// Issues holds, sorted, the issue subfolders that changed (their files,
	// or the subfolder itself made, moved or removed) in folders with Issues
	// set that are not in Folders: re-listing them is enough.
	Issues []string
	// All is set when notifications were lost: every watched folder may
	// have changed.
	All bool
}

// Options configure a Watcher.
type Options struct {
	Logger *zap.Logger
	// MaxWatches caps the watches this watcher holds, as the kernel's
	// fs.inotify.max_user_watches caps them for the user; 0 leaves only the
	// kernel's limit. Beyond it, folders are polled.
	MaxWatches int
}

// Watcher watches a set of folders. Its methods are safe for concurrent
// use; Changed and Take are meant for one consumer.
type Watcher struct {
	log        *zap.Logger
	maxWatches int
	notify     chan struct{}
	readers    sync.WaitGroup
	// fsName names the file system of a path when notification cannot see
	// all its changes (a network share), else ""; a hook for tests.
	fsName func(path string) string
	// open starts notification; beforeRead lets tests hold the reader back
	// to overflow the queue. Hooks for tests.
	open       func() (*inotify, error)
	beforeRead func()

	mu        sync.Mutex
	ino       *inotify // nil while notification is unavailable
	initErr   error    // why ino is nil
	folders   map[string]*folder
	byWatch   map[int32]watchRef
	parents   map[int32]string // watches on the parents of missing folders, for their creation
	watches   int
	changed   map[string]struct{}
	issues    map[string]struct{} // issue subfolders changed, below folders not in changed
	all       bool                // notifications were lost since the last Take
	overflow  bool                // ... and since the last Set
	fallbacks fallbackLog
	closed    bool
}

// folder is the state of one watched folder.
type folder struct {
	spec   Folder
	wd     int32            // -1 when not watched
	subs   map[string]int32 // issue subfolder path -> watch
	reason reason           // why it is poll only; none when notified
	err    error            // what failed, for limit and failed
	id     fileID           // the watched folder's identity, when watched
}

// watchRef tells what a watch descriptor watches.
type watchRef struct {
	folder string // Folder.Path
	path   string // the watched folder itself or one of its issue subfolders
}

// newWatcher returns a watcher with no folder and no notification started.
func newWatcher(opts Options) *Watcher {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &Watcher{
		log:        log,
		maxWatches: opts.MaxWatches,
		notify:     make(chan struct{}, 1),
		fsName:     networkFS,
		open:       openInotify,
		folders:    map[string]*folder{},
		byWatch:    map[int32]watchRef{},
		parents:    map[int32]string{},
		changed:    map[string]struct{}{},
		issues:     map[string]struct{}{},
	}
}

// Changed receives when a Change is waiting for Take. Changes coalesce:
// however many happen before Take, one receive and one Take cover them.
func (w *Watcher) Changed() <-chan struct{} { return w.notify }

// Take returns and clears what changed since the last Take.
func (w *Watcher) Take() Change {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := Change{All: w.all, Folders: make([]string, 0, len(w.changed))}
	for p := range w.changed {
		c.Folders = append(c.Folders, p)
	}
	for p := range w.issues {
		if _, whole := w.changed[filepath.Dir(p)]; !whole {
			c.Issues = append(c.Issues, p)
		}
	}
	slices.Sort(c.Folders)
	slices.Sort(c.Issues)
	clear(w.changed)
	clear(w.issues)
	w.all = false
	return c
}

// PollOnly returns, sorted, the watched folders whose notifications cannot
// be trusted: the receiver polls them.
func (w *Watcher) PollOnly() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for p, f := range w.folders {
		if w.ino == nil || w.overflow || f.reason != none {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// markChanged records a change of the watched folder at path; the caller
// holds mu and calls signal once its batch is done.
func (w *Watcher) markChanged(path string) {
	w.changed[path] = struct{}{}
}

// markIssue records a change of the issue subfolder at path alone.
func (w *Watcher) markIssue(path string) {
	w.issues[path] = struct{}{}
}

// signal wakes the consumer if anything is waiting for Take.
func (w *Watcher) signal() {
	if len(w.changed) == 0 && len(w.issues) == 0 && !w.all {
		return
	}
	select {
	case w.notify <- struct{}{}:
	default: // a wake-up is already pending
	}
}
