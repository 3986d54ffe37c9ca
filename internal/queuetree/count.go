package queuetree

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
