package queuetree

import "time"

// accumulator adds the messages of a stat-mode folder to its FolderStats:
// each regular file is lstat'ed for its size and modification time, because
// a file rewritten in place changes neither the folder nor the listing.
type accumulator struct {
	w      *walk
	fs     *FolderStats
	folder Folder
	added  int64 // messages added through this accumulator
	err    error // first error other than a vanished file
}

// entry adds the entry name of the folder dir if it is a regular file.
// Folders and other entries are not messages; a file that vanished since
// the listing is skipped, as Backbone moves messages all the time.
func (a *accumulator) entry(dir, name, issue string, typ entryType) {
	if typ != typeRegular && typ != typeUnknown {
		return
	}
	path := join(dir, name)
	st, err := lstat(path)
	if err != nil {
		if _, reported := kindOf(err); reported && a.err == nil {
			a.err = err
		}
		return
	}
	if st.typ != typeRegular {
		return
	}
	a.add(path, name, issue, st.size, st.mtime)
}

func (a *accumulator) add(path, name, issue string, size int64, mtime time.Time) {
	fs := a.fs
	fs.Messages++
	fs.Bytes += size
	if fs.Oldest.IsZero() || mtime.Before(fs.Oldest) {
		fs.Oldest = mtime
	}
	a.added++
	if a.folder.Watched() {
		fs.Files = append(fs.Files, File{
			Path:    validUTF8(path),
			Name:    a.w.name(path, name),
			Issue:   issue,
			Size:    size,
			ModTime: mtime,
		})
	}
}

// done reports the error that ended the listing of dir, or the first one
// met while stat'ing its files, and marks the byte count as incomplete.
func (a *accumulator) done(dir string, err error) {
	if err == nil {
		err = a.err
	}
	if err != nil && a.w.fail(dir, err) {
		a.fs.BytesKnown = false
	}
}
