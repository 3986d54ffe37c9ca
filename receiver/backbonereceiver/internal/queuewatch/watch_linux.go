//go:build linux

package queuewatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// watchMask asks for every change of a folder's entries and of the folder
// itself; IN_IGNORED, IN_Q_OVERFLOW and IN_UNMOUNT always come. Symbolic
// links are not followed, and a watch is only ever put on a folder.
const watchMask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_DELETE |
	unix.IN_CLOSE_WRITE | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR | unix.IN_DONT_FOLLOW

// parentMask asks the parent of a missing folder for the folder's creation. IN_MASK_ADD
// keeps a watch already on that folder whole (see awaitCreation).
const parentMask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_ONLYDIR | unix.IN_DONT_FOLLOW | unix.IN_MASK_ADD

// readBufSize holds about 2,000 events per read.
const readBufSize = 64 << 10

// inotify is one inotify instance: its descriptor for adding and removing
// watches, and a file over it that the runtime's poller reads, so that
// Close ends a blocked read.
type inotify struct {
	fd   int
	file *os.File
}

func openInotify() (*inotify, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	return &inotify{fd: fd, file: os.NewFile(uintptr(fd), "inotify")}, nil
}

// New returns a watcher with no folder yet. It never fails: where
// notification cannot start, every folder is poll only and Set tries again.
func New(opts Options) *Watcher {
	w := newWatcher(opts)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.start()
	w.logFallbacks()
	return w
}

// start opens notification if it is not open, and starts its reader.
func (w *Watcher) start() {
	if w.ino != nil || w.closed {
		return
	}
	ino, err := w.open()
	if err != nil {
		w.initErr = err
		return
	}
	w.ino, w.initErr = ino, nil
	w.readers.Add(1)
	go w.read(ino)
}

// Set makes folders the watched set, after a full scan: folders no longer
// in it are dropped, new ones watched, and every poll-only folder tried
// again. A folder that starts being watched counts as changed, since it may
// have changed between the scan and its watch.
func (w *Watcher) Set(folders []Folder) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.start()
	want := make(map[string]Folder, len(folders))
	for _, f := range folders {
		want[filepath.Clean(f.Path)] = Folder{Path: filepath.Clean(f.Path), Issues: f.Issues}
	}
	for p, f := range w.folders {
		if spec, ok := want[p]; !ok || spec != f.spec {
			w.unwatch(f)
			delete(w.folders, p)
		}
	}
	w.overflow = false // the full scan behind this Set re-read everything
	// In path order, so that the same folders reach a watch limit each time.
	for _, p := range slices.Sorted(maps.Keys(want)) {
		spec := want[p]
		f := w.folders[p]
		switch {
		case f == nil:
			f = &folder{spec: spec, wd: -1}
			w.folders[p] = f
			w.watch(f)
		case f.wd < 0 || f.reason != none || idOf(p) != f.id:
			// Not watched, or the watch follows a folder that a rename of
			// a parent took elsewhere.
			w.watch(f)
		case spec.Issues:
			w.watchSubs(f) // issue folders made while events were lost
		}
	}
	w.dropParents()
	w.logFallbacks()
	w.signal()
}

// watch (re)starts watching f, or records why it cannot be.
func (w *Watcher) watch(f *folder) {
	w.unwatch(f)
	f.reason, f.err = none, nil
	if w.ino == nil {
		return // PollOnly lists every folder meanwhile
	}
	if w.fsName(f.spec.Path) != "" {
		f.reason = remote
		return
	}
	wd, err := w.add(f.spec.Path, f.spec.Path)
	if err != nil && reasonOf(err) == missing && w.awaitCreation(f.spec.Path) {
		// Made before its parent's watch started, if at all since: that watch cannot tell.
		wd, err = w.add(f.spec.Path, f.spec.Path)
	}
	if err != nil {
		f.reason, f.err = reasonOf(err), err
		return
	}
	f.wd, f.id = wd, idOf(f.spec.Path)
	w.markChanged(f.spec.Path)
	if f.spec.Issues {
		w.watchSubs(f)
	}
}

// watchSubs watches the issue subfolders of f not watched yet.
func (w *Watcher) watchSubs(f *folder) {
	entries, err := os.ReadDir(f.spec.Path)
	if err != nil {
		return // the folder's own watch reports what happens to it
	}
	for _, e := range entries {
		if e.IsDir() {
			w.watchSub(f, filepath.Join(f.spec.Path, e.Name()))
		}
	}
}

// watchSub watches one issue subfolder of f. Without a watch for it, f is
// polled.
func (w *Watcher) watchSub(f *folder, path string) {
	if _, ok := f.subs[path]; ok {
		return
	}
	wd, err := w.add(path, f.spec.Path)
	switch {
	case err == nil:
		if f.subs == nil {
			f.subs = map[string]int32{}
		}
		f.subs[path] = wd
		w.markIssue(path) // it may hold files made before its watch
	case reasonOf(err) == missing: // gone again, or a symbolic link: nothing to watch
	case f.reason == none:
		f.reason, f.err = reasonOf(err), err
	}
}

// awaitCreation watches the parent of the missing folder at path, so that the folder is
// watched as soon as Backbone makes it rather than at the next full scan: its first message
// would otherwise wait for the poll. It reports false when the parent cannot be watched
// (missing too, the watch limit) or is itself a watched folder; the folder is polled
// meanwhile in any case.
func (w *Watcher) awaitCreation(path string) bool {
	if w.maxWatches > 0 && w.watches >= w.maxWatches {
		return false
	}
	dir := filepath.Dir(path)
	wd, err := unix.InotifyAddWatch(w.ino.fd, dir, parentMask)
	if err != nil {
		return false
	}
	if _, watched := w.byWatch[int32(wd)]; watched {
		return false // its own watch asks for more already (IN_MASK_ADD kept it)
	}
	if _, ok := w.parents[int32(wd)]; !ok {
		w.parents[int32(wd)] = dir
		w.watches++
	}
	return true
}

// dropParents removes the parent watches that no missing folder waits on any more; the
// caller holds mu.
func (w *Watcher) dropParents() {
	if w.ino == nil {
		return // lose cleared them
	}
	waited := map[string]bool{}
	for p, f := range w.folders {
		if f.reason == missing {
			waited[filepath.Dir(p)] = true
		}
	}
	for wd, dir := range w.parents {
		if !waited[dir] {
			delete(w.parents, wd)
			w.watches--
			_, _ = unix.InotifyRmWatch(w.ino.fd, uint32(wd))
		}
	}
}

// errLimit is the watch limit of Options.MaxWatches, reported as the
// kernel reports its own.
var errLimit = os.NewSyscallError("inotify_add_watch", unix.ENOSPC)

// add puts a watch on the folder at path, part of the watched folder.
func (w *Watcher) add(path, watched string) (int32, error) {
	if w.maxWatches > 0 && w.watches >= w.maxWatches {
		return -1, errLimit
	}
	wd, err := unix.InotifyAddWatch(w.ino.fd, path, watchMask)
	if err != nil {
		return -1, os.NewSyscallError("inotify_add_watch", err)
	}
	if _, ok := w.parents[int32(wd)]; ok {
		delete(w.parents, int32(wd)) // the folder's own watch sees its entries' creation too
		w.watches--
	}
	if _, dup := w.byWatch[int32(wd)]; !dup {
		w.watches++
	}
	w.byWatch[int32(wd)] = watchRef{folder: watched, path: path}
	return int32(wd), nil
}

// fileID identifies a folder: a watch follows it, not its path.
type fileID struct{ dev, ino uint64 }

// idOf returns the identity of the folder at path; zero if it cannot tell.
func idOf(path string) fileID {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return fileID{}
	}
	return fileID{dev: st.Dev, ino: st.Ino}
}

// unwatch removes every watch of f.
func (w *Watcher) unwatch(f *folder) {
	if f.wd >= 0 {
		w.remove(f.wd)
		f.wd = -1
	}
	for _, wd := range f.subs {
		w.remove(wd)
	}
	f.subs = nil
}

// remove drops the watch wd; its IN_IGNORED then finds nothing to do.
func (w *Watcher) remove(wd int32) {
	if _, ok := w.byWatch[wd]; !ok {
		return
	}
	delete(w.byWatch, wd)
	w.watches--
	if w.ino != nil {
		_, _ = unix.InotifyRmWatch(w.ino.fd, uint32(wd)) // fails when the kernel already dropped it
	}
}

// reasonOf classifies a failure to add a watch.
func reasonOf(err error) reason {
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR):
		return missing // not there, a file, or a symbolic link: the re-list reports it
	case errors.Is(err, unix.ENOSPC):
		return limit
	}
	return failed
}

// read reads ino's events until ino is closed.
func (w *Watcher) read(ino *inotify) {
	defer w.readers.Done()
	buf := make([]byte, readBufSize)
	for {
		if w.beforeRead != nil {
			w.beforeRead()
		}
		n, err := ino.file.Read(buf)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		w.mu.Lock()
		if err != nil {
			if !errors.Is(err, os.ErrClosed) && w.ino == ino {
				w.lose(err)
			}
			w.mu.Unlock()
			return
		}
		w.handle(buf[:n])
		w.logFallbacks()
		w.signal()
		w.mu.Unlock()
	}
}

// lose gives notification up after an unexpected read error: every folder
// is polled until Set starts it again.
func (w *Watcher) lose(err error) {
	_ = w.ino.file.Close()
	w.ino, w.initErr, w.all = nil, os.NewSyscallError("read inotify", err), true
	clear(w.byWatch)
	clear(w.parents)
	w.watches = 0
	for _, f := range w.folders {
		f.wd, f.subs = -1, nil
	}
}

// Event layout: wd int32, mask uint32, cookie uint32, len uint32, name.
const eventHeader = unix.SizeofInotifyEvent

// handle applies a batch of events, each with its name cut at its first NUL byte; the
// caller holds mu.
func (w *Watcher) handle(b []byte) {
	for len(b) >= eventHeader {
		wd := int32(binary.NativeEndian.Uint32(b[0:]))
		mask := binary.NativeEndian.Uint32(b[4:])
		size := eventHeader + int(binary.NativeEndian.Uint32(b[12:]))
		if size > len(b) {
			return
		}
		name := b[eventHeader:size]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		w.event(wd, mask, string(name))
		b = b[size:]
	}
}

// event applies one event.
func (w *Watcher) event(wd int32, mask uint32, name string) {
	if mask&unix.IN_Q_OVERFLOW != 0 {
		w.overflow, w.all = true, true
		return
	}
	if dir, ok := w.parents[wd]; ok {
		w.parentEvent(wd, dir, mask, name)
		return
	}
	ref, ok := w.byWatch[wd]
	if !ok {
		return // a watch already removed
	}
	f := w.folders[ref.folder]
	if f == nil {
		return
	}
	sub := ref.path != ref.folder
	switch {
	case mask&unix.IN_UNMOUNT != 0: // the whole folder is gone with its file system
		w.markChanged(f.spec.Path)
	case sub:
		w.markIssue(ref.path)
	case f.spec.Issues && mask&unix.IN_ISDIR != 0 && name != "":
		w.markIssue(filepath.Join(ref.path, name)) // an issue subfolder made, moved or removed
	default:
		w.markChanged(f.spec.Path)
	}
	switch {
	case mask&unix.IN_UNMOUNT != 0:
		w.unwatch(f)
		f.reason = unmounted
	case mask&(unix.IN_IGNORED|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF) != 0:
		// Gone, or moved elsewhere with its watch: stop watching it.
		if sub {
			w.remove(wd)
			delete(f.subs, ref.path)
			return
		}
		w.unwatch(f)
		if f.reason == none {
			f.reason = removed
		}
	case f.spec.Issues && !sub && mask&unix.IN_ISDIR != 0 && mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0:
		w.watchSub(f, filepath.Join(ref.path, name))
	}
}

// parentEvent applies an event of the parent of missing folders: one of them made (or
// moved in) is watched from now on, and counts as changed.
func (w *Watcher) parentEvent(wd int32, dir string, mask uint32, name string) {
	switch {
	case mask&unix.IN_IGNORED != 0: // the parent is gone: its folders are polled
		delete(w.parents, wd)
		w.watches--
	case mask&unix.IN_ISDIR != 0 && mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0:
		if f := w.folders[filepath.Join(dir, name)]; f != nil && f.reason == missing {
			w.watch(f)
		}
	}
}

// Close stops the watcher and waits for its reader; no change is recorded
// after it.
func (w *Watcher) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	var err error
	if w.ino != nil {
		err = w.ino.file.Close()
		w.ino = nil
	}
	w.mu.Unlock()
	w.readers.Wait()
	return err
}

// networkFSMagic names the file systems shared over a network, where a
// machine is notified only of its own changes, by statfs magic number.
var networkFSMagic = map[int64]string{
	unix.NFS_SUPER_MAGIC:  "nfs",
	unix.SMB_SUPER_MAGIC:  "smb",
	unix.CIFS_SUPER_MAGIC: "cifs",
	unix.SMB2_SUPER_MAGIC: "smb2",
	unix.AFS_SUPER_MAGIC:  "afs",
	unix.CODA_SUPER_MAGIC: "coda",
	unix.V9FS_MAGIC:       "9p",
	unix.CEPH_SUPER_MAGIC: "ceph",
	unix.FUSE_SUPER_MAGIC: "fuse",
	0x01161970:            "gfs2",
	0x7461636f:            "ocfs2",
	0x0bd00bd0:            "lustre",
}

// networkFS names the network file system holding path, or "".
func networkFS(path string) string {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return ""
	}
	return networkFSMagic[int64(st.Type)]
}
