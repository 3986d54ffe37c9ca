//go:build linux

package queuewatch

import (
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// countMask asks for every change of a counted folder's entries and of the folder
// itself; IN_IGNORED, IN_Q_OVERFLOW and IN_UNMOUNT always come.
const countMask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_DELETE |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR | unix.IN_DONT_FOLLOW

// Counter keeps the number of regular files in count-only folders (archive/) from
// inotify events, so that a full scan need not list a busy archive again. Count lists a
// folder only when its kept count cannot be trusted: not counted yet, its watch lost or
// never possible, the event queue overflowed, the folder replaced, or its reconciliation
// due. It uses its own inotify instance: a Watcher's queue must not overflow with the
// archive's traffic. Its methods are safe for concurrent use, for different paths.
type Counter struct {
	log   *zap.Logger
	every time.Duration
	now   func() time.Time
	// fsName names the network file system of a path, as for a Watcher; a hook for tests.
	fsName func(string) string
	// afterList runs between a listing and its closing drain; a hook for tests.
	afterList func(path string)

	// readMu orders reading the queue and applying events: the reader goroutine and
	// drain both hold it, so that events apply in the order the kernel queued them.
	readMu sync.Mutex
	buf    []byte

	mu      sync.Mutex
	ino     *inotify
	started bool // inotify was tried: a failure is not retried
	closed  bool
	folders map[string]*counted
	byWatch map[int32]*counted
	log1    countLog
	readers sync.WaitGroup
	done    chan struct{} // closed by Close
}

// counted is the state of one counted folder.
type counted struct {
	path    string
	wd      int32 // -1 when not watched
	id      fileID
	n       int64
	trusted bool                // n is exact
	touched map[string]struct{} // names changed in a listing's window; nil otherwise
	pending map[string]bool     // after the window, names not resolved yet: changed again?
	fresh   int64               // after the window, the listing's count of the rest
	lost    bool                // events were lost while a listing is open
	next    time.Time           // when n is proven against a listing again
	reason  reason
}

// NewCounter returns a Counter with nothing counted. It does no I/O: notification starts
// at the first Count.
func NewCounter(opts CounterOptions) *Counter {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	every := opts.ReconcileEvery
	if every <= 0 {
		every = DefaultReconcileEvery
	}
	return &Counter{
		log: log, every: every, now: time.Now, fsName: networkFS,
		buf:     make([]byte, readBufSize),
		folders: map[string]*counted{},
		byWatch: map[int32]*counted{},
		done:    make(chan struct{}),
	}
}

// Count returns the number of regular files directly in the folder at path (the scan's
// rule), and false when the caller must list it itself: notification is unavailable
// there, or the folder cannot be read. Every change made before the call is counted.
func (c *Counter) Count(path string) (int64, bool) {
	path = filepath.Clean(path)
	c.drain()
	c.mu.Lock()
	f, ok := c.prepare(path)
	if !ok {
		c.mu.Unlock()
		return 0, false
	}
	if f.trusted && c.now().Before(f.next) {
		n := f.n
		c.mu.Unlock()
		return n, true
	}
	f.touched, f.pending, f.lost = map[string]struct{}{}, nil, false
	c.mu.Unlock()
	return c.list(f)
}

// prepare returns the state of the folder at path, watched, or false when it cannot be
// watched; the caller holds mu.
func (c *Counter) prepare(path string) (*counted, bool) {
	if c.closed {
		return nil, false
	}
	if !c.started {
		c.started = true
		ino, err := openInotify()
		if err != nil {
			c.log.Warn("Change notification is unavailable: archive folders are listed at every scan", zap.Error(err))
			return nil, false
		}
		c.ino = ino
		c.readers.Add(1)
		go c.read(ino)
	}
	if c.ino == nil {
		return nil, false
	}
	f := c.folders[path]
	if f == nil {
		f = &counted{path: path, wd: -1}
		c.folders[path] = f
	}
	if f.wd >= 0 && idOf(path) != f.id {
		c.unwatch(f) // a parent renamed: the watch follows a folder elsewhere
		c.setReason(f, lost)
	}
	if f.wd >= 0 {
		return f, true
	}
	if c.fsName(path) != "" {
		c.setReason(f, remote)
		return nil, false
	}
	wd, err := unix.InotifyAddWatch(c.ino.fd, path, countMask)
	if err != nil {
		if r := reasonOf(err); r != missing {
			c.setReason(f, r)
		} else {
			c.forget(f)
		}
		return nil, false
	}
	f.wd, f.id, f.trusted = int32(wd), idOf(path), false
	c.byWatch[f.wd] = f
	return f, true
}

// unwatch drops the watch of f: its count is not trusted until a listing; the caller
// holds mu.
func (c *Counter) unwatch(f *counted) {
	if f.wd >= 0 {
		delete(c.byWatch, f.wd)
		if c.ino != nil {
			_, _ = unix.InotifyRmWatch(c.ino.fd, uint32(f.wd)) // fails when the kernel dropped it already
		}
	}
	f.wd, f.trusted, f.lost = -1, false, true
}

// forget drops a folder that is gone; the caller holds mu.
func (c *Counter) forget(f *counted) {
	c.unwatch(f)
	c.setReason(f, none)
	delete(c.folders, f.path)
}

// loseAll gives notification up after an unexpected read error; the caller holds mu.
func (c *Counter) loseAll() {
	_ = c.ino.file.Close()
	c.ino = nil
	for _, f := range c.folders {
		f.wd, f.trusted, f.lost = -1, false, true
		c.setReason(f, failed)
	}
	clear(c.byWatch)
	c.log.Warn("Change notification stopped: archive folders are listed at every scan")
}

// Close stops the counter and waits for its reader.
func (c *Counter) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.done)
	ino := c.ino
	c.ino = nil
	c.mu.Unlock()
	var err error
	if ino != nil {
		err = ino.file.Close() // waits for a read or a drain in flight
	}
	c.readers.Wait()
	return err
}
