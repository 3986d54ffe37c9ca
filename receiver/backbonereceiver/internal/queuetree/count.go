package queuetree

import "time"

// countFolder counts the regular files of a count-only folder (archive/
// without ArchiveDetails) from directory entries alone, and skips the
// listing when the folder has not changed since a listing that was not
// racy. Files rewritten in place do not matter here: only their number is
// reported.
func (w *walk) countFolder(l *lister, fs *FolderStats, path string) {
	st, err := lstat(path)
	if err != nil {
		if !w.fail(path, err) {
			fs.Exists = false
		}
		return
	}
	key := st.key
	w.adjust(&key)
	if st.keyOK {
		if n, ok := w.s.cache.lookup(path, key); ok {
			fs.Messages = n
			w.cached.Add(1)
			return
		}
	}
	listedAt := w.s.now()
	n, key, err := l.count(path)
	fs.Messages = n
	if err != nil {
		w.s.cache.forget(path)
		if !w.fail(path, err) {
			fs.Exists = false
		}
		return
	}
	if st.keyOK {
		w.adjust(&key)
		w.s.cache.store(path, key, n, listedAt)
	}
}

// folderMark is what remember needs of a stat-mode folder: its key, taken
// before the listing, and when the listing began.
type folderMark struct {
	key      dirKey
	ok       bool
	listedAt time.Time
}

// unchangedEmpty tells whether the stat-mode folder at path held no message
// at a listing that is still valid: then no file in it can have been
// rewritten either, and listing it again would tell nothing new. Most
// watched folders are empty most of the time, so this saves most listings
// of an unchanged tree. Otherwise it returns the mark to remember the
// listing by.
func (w *walk) unchangedEmpty(path string) (folderMark, bool) {
	st, err := lstat(path)
	if err != nil || !st.keyOK {
		return folderMark{}, false
	}
	key := st.key
	w.adjust(&key)
	if n, ok := w.s.cache.lookup(path, key); ok && n == 0 {
		w.cached.Add(1)
		return folderMark{}, true
	}
	return folderMark{key: key, ok: true, listedAt: w.s.now()}, false
}

// remember caches the outcome of listing a stat-mode folder; only an empty
// outcome is ever reused.
func (w *walk) remember(path string, m folderMark, empty bool, err error) {
	switch {
	case !m.ok:
	case err != nil || !empty:
		w.s.cache.forget(path)
	default:
		w.s.cache.store(path, m.key, 0, m.listedAt)
	}
}
