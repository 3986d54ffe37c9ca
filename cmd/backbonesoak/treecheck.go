//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/wait"
)

// entryState is everything of a tree entry that a write, rename, chmod, chown, link or touch
// changes: the status change time (ctime) moves on any of them. Access time is left out:
// reading may move it.
type entryState struct {
	mode         fs.FileMode
	size         int64
	ino, nlink   uint64
	uid, gid     uint32
	mtime, ctime syscall.Timespec
}

// snapshotTree records the state of every entry under root, folders included.
func snapshotTree(root string) (map[string]entryState, error) {
	out := map[string]entryState{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no stat_t", path)
		}
		out[path] = entryState{
			mode: fi.Mode(), size: fi.Size(), ino: st.Ino, nlink: uint64(st.Nlink),
			uid: st.Uid, gid: st.Gid, mtime: st.Mtim, ctime: st.Ctim,
		}
		return nil
	})
	return out, err
}

// diffTrees lists the entries that appeared, vanished or changed between two snapshots.
func diffTrees(before, after map[string]entryState) []string {
	var out []string
	for path, a := range before {
		b, ok := after[path]
		switch {
		case !ok:
			out = append(out, "removed "+path)
		case a != b:
			out = append(out, fmt.Sprintf("changed %s: %+v -> %+v", path, a, b))
		}
	}
	for path := range after {
		if _, ok := before[path]; !ok {
			out = append(out, "added "+path)
		}
	}
	slices.Sort(out)
	return out
}

// writableBy lists the entries of a snapshot that uid/gid could write to or rename within:
// owned by it, or with write permission for its group or for others.
func writableBy(snap map[string]entryState, uid, gid uint32) []string {
	var out []string
	for path, e := range snap {
		perm := e.mode.Perm()
		if e.uid == uid || (e.gid == gid && perm&0o020 != 0) || perm&0o002 != 0 {
			out = append(out, path)
		}
	}
	slices.Sort(out)
	return out
}

// writeEvents are the events of a watched folder that only a writer causes. Read events are
// not watched: a scan causes thousands, which would overflow the event queue.
const writeEvents = syscall.IN_MODIFY | syscall.IN_ATTRIB | syscall.IN_CLOSE_WRITE | syscall.IN_MOVED_FROM |
	syscall.IN_MOVED_TO | syscall.IN_CREATE | syscall.IN_DELETE | syscall.IN_DELETE_SELF | syscall.IN_MOVE_SELF

// treeWatcher is an inotify watch on every folder of a tree.
type treeWatcher struct {
	fd    int
	paths map[int32]string // by watch descriptor
}

func watchTree(root string) (*treeWatcher, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	w := &treeWatcher{fd: fd, paths: map[int32]string{}}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		wd, err := syscall.InotifyAddWatch(fd, path, writeEvents|syscall.IN_ONLYDIR)
		if err != nil {
			return fmt.Errorf("watch %s: %w", path, err)
		}
		w.paths[int32(wd)] = path
		return nil
	})
	if err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// drain reads the events so far: the write events by description, and the number of queue
// overflows (which would hide events).
func (w *treeWatcher) drain() (writes []string, overflows int, err error) {
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.Read(w.fd, buf)
		if errors.Is(err, syscall.EAGAIN) {
			return writes, overflows, nil
		}
		if err != nil {
			return writes, overflows, err
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameBytes := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
			name := string(nameBytes[:clen(nameBytes)])
			switch {
			case ev.Mask&syscall.IN_Q_OVERFLOW != 0:
				overflows++
			case ev.Mask&writeEvents != 0:
				writes = append(writes, fmt.Sprintf("%#x %s", ev.Mask, filepath.Join(w.paths[ev.Wd], name)))
			}
			off += syscall.SizeofInotifyEvent + int(ev.Len)
		}
	}
}

func (w *treeWatcher) close() { _ = syscall.Close(w.fd) }

// clen is the length of a NUL-terminated name.
func clen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}

// copyExecutable copies the collector binary to dst, readable and executable by everyone, so
// that an unprivileged user can run it whatever the permissions of the build folder.
func copyExecutable(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o755)
}

// treeResult is the verdict on the collector's writes to the tree.
type treeResult struct {
	ok      bool
	summary string
}

// checkQuietTree watches the tree once the simulator and the driver have stopped changing it,
// while the collector goes on scanning it for at least three scrapes: no entry may appear,
// vanish or change (size, mode, owner, inode, link count, mtime, ctime), and inotify may report
// no write event. When the collector runs as another user, it also checks that no entry was
// writable by that user, which the kernel enforced for the whole soak.
func checkQuietTree(ctx context.Context, root string, sim *backbonesim.Sim, snk *otlpsink.Sink, interval time.Duration, cred *syscall.Credential) treeResult {
	fail := func(err error) treeResult { return treeResult{summary: "could not check: " + err.Error()} }
	before, err := snapshotTree(root)
	if err != nil {
		return fail(err)
	}
	var notes []string
	ok := true
	if cred != nil {
		if w := writableBy(before, cred.Uid, cred.Gid); len(w) > 0 {
			ok = false
			notes = append(notes, fmt.Sprintf("%d entries writable by the collector's user, e.g. %s", len(w), w[0]))
		} else {
			notes = append(notes, fmt.Sprintf("none of %d entries writable by the collector's uid %d, so the kernel refused any write during the whole soak", len(before), cred.Uid))
		}
	}
	w, err := watchTree(root)
	if err != nil {
		return fail(err)
	}
	defer w.close()
	scrapes := sim.Stats().Requests
	metrics := snk.Counts().MetricsAccepted
	start := time.Now()
	err = wait.For(ctx, 60*time.Second, func() bool {
		m := snk.Counts().MetricsAccepted
		return sim.Stats().Requests >= scrapes+3 && m >= metrics+3 && time.Since(start) >= 3*interval
	})
	if err != nil {
		return fail(fmt.Errorf("the collector did not scrape three times while the tree was quiet: %w", err))
	}
	writes, overflows, err := w.drain()
	if err != nil {
		return fail(err)
	}
	after, err := snapshotTree(root)
	if err != nil {
		return fail(err)
	}
	diff := diffTrees(before, after)
	m := snk.Counts().MetricsAccepted
	notes = append(notes, fmt.Sprintf("quiet window of %s with %d scrapes: %d of %d entries changed, %d inotify write events, %d overflows",
		time.Since(start).Round(time.Second), m-metrics, len(diff), len(before), len(writes), overflows))
	for i, d := range append(diff, writes...) {
		if i == 5 {
			break
		}
		notes = append(notes, d)
	}
	ok = ok && len(diff) == 0 && len(writes) == 0 && overflows == 0
	return treeResult{ok: ok, summary: strings.Join(notes, "; ")}
}
