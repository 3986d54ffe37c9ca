package queuetree

import "time"

// archiveListing is what the last listing of an archive/ folder found, kept
// so that the archive is listed at the first scan and then at most every
// Options.ArchiveInterval.
type archiveListing struct {
	stats  FolderStats
	listed time.Time // the start of the scan that listed it
}

// scanArchive fills fs for the archive/ folder at s.path: from its last
// listing while that is younger than ArchiveInterval, else by listing it
// (counting its files, or stat'ing them with ArchiveDetails). A listing
// that met a problem is not kept: the next scan lists again.
func (w *walk) scanArchive(l *lister, fs *FolderStats, s subfolder) {
	if a, ok := w.s.archives.get(s.path); ok && w.now.Sub(a.listed) < w.s.opts.ArchiveInterval {
		*fs = a.stats
		return
	}
	var err error
	if w.s.opts.ArchiveDetails {
		err = w.scanFlat(l, fs, s)
	} else {
		err = w.countFolder(l, fs, s.path)
	}
	if err != nil {
		w.s.archives.forget(s.path)
		return
	}
	w.s.archives.put(s.path, archiveListing{stats: *fs, listed: w.now})
}
