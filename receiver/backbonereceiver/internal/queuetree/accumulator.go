package queuetree

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
	a.add(path, name, issue, st)
}

func (a *accumulator) add(path, name, issue string, st fileStat) {
	fs := a.fs
	fs.Messages++
	fs.Bytes += st.size
	entered := st.entered()
	if fs.Oldest.IsZero() || entered.Before(fs.Oldest) {
		fs.Oldest = entered
	}
	a.added++
	if a.folder.Watched() {
		fs.Files = append(fs.Files, File{
			Path:    validUTF8(path),
			Name:    a.w.name(path, name),
			Issue:   issue,
			Size:    st.size,
			ModTime: st.mtime,
			Entered: entered,
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
