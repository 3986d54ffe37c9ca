//go:build linux

package queuewatch

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
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

// list starts or proves the count of f, exact under concurrent changes:
//
//  1. The watch is in place before the listing starts, and every event from then until a
//     drain of the queue after the listing (the window) names the entry it touched. An
//     entry no event touched kept its state throughout, so the listing counted it right.
//  2. The touched entries are taken out of the listing's count (each listed name's hash
//     is kept) and become pending: their events no longer count, the others' do.
//  3. A pending entry is resolved by an lstat between two drains: when the second drain
//     brings no event for it, the lstat saw its state as of that drain, and its events
//     count from then on. One with an event in between is tried again; only entries
//     changed within that instant are, so this ends under steady traffic.
//
// It rests on the kernel queueing an event before the system call that made the change
// returns, so that a drain after a listing or an lstat holds every event of a change
// they could see. Events keep applying to n throughout, so a reconciliation compares the
// count kept by events with the listing's at the same point.
func (c *Counter) list(f *counted) (int64, bool) {
	listed, other, hashes, err := listRegular(f.path)
	if c.afterList != nil {
		c.afterList(f.path)
	}
	if err != nil {
		c.mu.Lock()
		f.touched, f.trusted = nil, false
		c.mu.Unlock()
		return 0, false
	}
	slices.Sort(hashes)
	c.readMu.Lock()
	c.drainLocked()
	c.mu.Lock()
	if f.lost || f.wd < 0 || other > 0 {
		c.abort(f, other > 0)
		c.mu.Unlock()
		c.readMu.Unlock()
		return listed, true // this listing is as good as the scan's own
	}
	f.fresh, f.pending = listed, make(map[string]bool, len(f.touched))
	for name := range f.touched {
		if _, found := slices.BinarySearch(hashes, hashName(name)); found {
			f.fresh--
		}
		f.pending[name] = false
	}
	f.touched = nil
	c.mu.Unlock()
	c.readMu.Unlock()

	state := map[string]int64{}
	for {
		c.drain()
		c.mu.Lock()
		if f.lost || f.wd < 0 {
			c.abort(f, false)
			c.mu.Unlock()
			return listed, true
		}
		names := make([]string, 0, len(f.pending))
		for name := range f.pending {
			names = append(names, name)
			f.pending[name] = false
		}
		c.mu.Unlock()
		if len(names) == 0 {
			break
		}
		for _, name := range names {
			state[name] = regularNow(filepath.Join(f.path, name))
		}
		c.drain()
		c.mu.Lock()
		for _, name := range names {
			if changed, ok := f.pending[name]; ok && !changed {
				f.fresh += state[name]
				delete(f.pending, name)
			}
		}
		c.mu.Unlock()
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	n := f.fresh
	if f.trusted && f.n != n {
		c.log.Warn("An archive's count kept from notifications disagreed with a listing: corrected to the listed value",
			zap.String("folder", f.path), zap.Int64("counted", f.n), zap.Int64("listed", n))
	}
	if f.trusted {
		f.next = c.now().Add(c.every)
	} else {
		f.next = c.now().Add(offset(f.path, c.every))
	}
	f.n, f.trusted, f.pending = n, true, nil
	c.setReason(f, none)
	return n, true
}

// abort ends a listing of f whose events cannot be trusted; the caller holds mu.
func (c *Counter) abort(f *counted, nonRegularSeen bool) {
	f.touched, f.pending, f.trusted = nil, nil, false
	if nonRegularSeen {
		c.setReason(f, nonRegular)
	}
}

// regularNow returns 1 if the entry at path is a regular file now, else 0.
func regularNow(path string) int64 {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0
	}
	return 1
}

// drain applies every event queued so far.
func (c *Counter) drain() {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	c.drainLocked()
}

// drainLocked is drain for a caller holding readMu. It reads through the file's raw
// connection, so that Close waits for it instead of closing the descriptor under it.
func (c *Counter) drainLocked() {
	c.mu.Lock()
	ino := c.ino
	c.mu.Unlock()
	if ino == nil {
		return
	}
	rc, err := ino.file.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) { // fails only once closed: nothing to drain then
		for {
			n, err := unix.Read(int(fd), c.buf)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil || n <= 0 {
				return // EAGAIN: empty; anything else the reader reports
			}
			c.apply(c.buf[:n])
		}
	})
}

// read applies events as they come until ino is closed.
func (c *Counter) read(ino *inotify) {
	defer c.readers.Done()
	rc, err := ino.file.SyscallConn()
	if err != nil {
		return
	}
	for {
		var readErr error
		err := rc.Read(func(fd uintptr) bool {
			c.readMu.Lock()
			defer c.readMu.Unlock()
			for {
				n, err := unix.Read(int(fd), c.buf)
				switch {
				case errors.Is(err, unix.EINTR):
					continue
				case errors.Is(err, unix.EAGAIN):
					return false
				case err != nil:
					readErr = err
				case n > 0:
					c.apply(c.buf[:n])
				}
				return true
			}
		})
		if err != nil || readErr != nil {
			c.mu.Lock()
			if readErr != nil && c.ino == ino {
				c.loseAll()
			}
			c.mu.Unlock()
			return
		}
	}
}

// apply applies a batch of events read from the queue; the caller holds readMu.
func (c *Counter) apply(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(b) >= eventHeader {
		wd := int32(binary.NativeEndian.Uint32(b[0:]))
		mask := binary.NativeEndian.Uint32(b[4:])
		size := eventHeader + int(binary.NativeEndian.Uint32(b[12:]))
		if size > len(b) {
			return
		}
		name := b[eventHeader:size]
		for i, ch := range name {
			if ch == 0 {
				name = name[:i]
				break
			}
		}
		c.event(wd, mask, string(name))
		b = b[size:]
	}
}

// event applies one event; the caller holds mu.
func (c *Counter) event(wd int32, mask uint32, name string) {
	if mask&unix.IN_Q_OVERFLOW != 0 {
		for _, f := range c.folders {
			if f.wd >= 0 {
				f.trusted, f.lost = false, true
				c.setReason(f, lost)
			}
		}
		return
	}
	f := c.byWatch[wd]
	if f == nil {
		return
	}
	switch {
	case mask&(unix.IN_IGNORED|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_UNMOUNT) != 0:
		c.unwatch(f)
		c.setReason(f, lost)
	case mask&unix.IN_ISDIR != 0:
		// Folders are not counted.
	case mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0:
		if !regularOrGone(filepath.Join(f.path, name)) {
			// A symbolic link or a device: its removal could not be told apart.
			f.trusted, f.lost = false, true
			c.setReason(f, nonRegular)
			return
		}
		c.add(f, name, 1) // gone again: its removal, queued behind, takes it back off
	case mask&(unix.IN_DELETE|unix.IN_MOVED_FROM) != 0:
		c.add(f, name, -1)
	}
}

// add applies the change of one entry to f's counts: n always; while a listing is open,
// its window or its pending entries (see list) decide.
func (c *Counter) add(f *counted, name string, delta int64) {
	f.n += delta
	switch {
	case f.touched != nil:
		f.touched[name] = struct{}{}
	case f.pending != nil:
		if _, ok := f.pending[name]; ok {
			f.pending[name] = true
		} else {
			f.fresh += delta
		}
	}
}

// regularOrGone tells whether the entry at path is a regular file or no longer exists.
func regularOrGone(path string) bool {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return errors.Is(err, unix.ENOENT)
	}
	return st.Mode&unix.S_IFMT == unix.S_IFREG
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
