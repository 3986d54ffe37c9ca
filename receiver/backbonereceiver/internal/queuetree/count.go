package queuetree

import "time"

// racyWindow covers the coarsest folder timestamps in use (FAT: 2 s; ext3,
// NFS and others: 1 s). A folder modified within it of its listing could be
// modified again without its timestamps changing, so its listing is not
// trusted on the next scan: it is "racily clean", as git says of index
// entries.
const racyWindow = 2 * time.Second

// countFolder counts the regular files of archive/ without ArchiveDetails
// from directory entries alone: files rewritten in place do not matter here,
// only their number is reported. It returns the error that kept the count
// from being whole.
func (w *walk) countFolder(l *lister, fs *FolderStats, path string) error {
	n, err := l.count(path)
	fs.Messages = n
	if err != nil && !w.fail(path, err) {
		fs.Exists = false
	}
	return err
}

// emptyListing is the key of a stat-mode folder listed empty, taken before
// the listing.
type emptyListing struct {
	key  dirKey
	racy bool // modified too close to its listing to be trusted
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
	if e, ok := w.s.empty.get(path); ok && !e.racy && e.key == key {
		w.cached.Add(1)
		return folderMark{}, true
	}
	return folderMark{key: key, ok: true, listedAt: w.s.now()}, false
}

// remember records the outcome of listing a stat-mode folder; only an empty
// outcome is ever reused.
func (w *walk) remember(path string, m folderMark, empty bool, err error) {
	switch {
	case !m.ok:
	case err != nil || !empty:
		w.s.empty.forget(path)
	default:
		limit := m.listedAt.Add(-racyWindow).UnixNano()
		w.s.empty.put(path, emptyListing{key: m.key, racy: m.key.mtime >= limit || m.key.ctime >= limit})
	}
}
