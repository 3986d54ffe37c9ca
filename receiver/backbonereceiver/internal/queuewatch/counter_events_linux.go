//go:build linux

package queuewatch

import (
	"errors"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

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

// readPause is how long the reader lets events gather after each batch it applied. Counts
// are read at scans, which drain the queue first, so the reader only has to keep the
// kernel's queue from overflowing (16,384 events by default): waking for every message
// archived cost more than the counting.
const readPause = 200 * time.Millisecond

// read applies events in batches until ino is closed.
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
			read := false
			for { // until the queue is empty
				n, err := unix.Read(int(fd), c.buf)
				switch {
				case errors.Is(err, unix.EINTR):
					continue
				case errors.Is(err, unix.EAGAIN):
					return read // nothing read: wait until there is
				case err != nil:
					readErr = err
					return true
				case n <= 0:
					return true
				}
				c.apply(c.buf[:n])
				read = true
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
		select {
		case <-c.done:
		case <-time.After(readPause):
		}
	}
}

// apply applies a batch of events read from the queue; the caller holds readMu.
func (c *Counter) apply(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	eachEvent(b, c.event)
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
