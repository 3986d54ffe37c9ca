package queuetree

// ArchiveCounter keeps the counts of count-only folders (archive/ without
// ArchiveDetails) between scans, from change notifications, so that a busy
// archive is not listed at every scan. Count returns false when the caller must
// list the folder itself.
type ArchiveCounter interface {
	Count(path string) (int64, bool)
}

// countArchive counts archive/ without details: from Options.ArchiveCounts where
// it keeps the count, else by listing (or the unchanged-folder cache).
func (w *walk) countArchive(l *lister, fs *FolderStats, path string) {
	if c := w.s.opts.ArchiveCounts; c != nil {
		if n, ok := c.Count(path); ok {
			fs.Messages = n
			return
		}
	}
	w.countFolder(l, fs, path)
}
