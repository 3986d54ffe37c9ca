package queuetree

import "cmp"

// scanIssues scans error/ or issue-missing/, which hold one folder per
// issue. Issues counts the issue folders holding at least one message.
// Files lying directly in the folder are counted too, without an issue:
// the layout is not documented, and a message in error must not go unseen.
func (w *walk) scanIssues(l *lister, fs *FolderStats, s subfolder) {
	mark, skip := w.unchangedEmpty(s.path)
	if skip {
		return
	}
	a := accumulator{w: w, fs: fs, folder: s.folder}
	var issues []string
	err := l.list(s.path, func(name string, typ entryType) {
		switch typ {
		case typeDir:
			issues = append(issues, name)
		case typeSymlink:
			w.problem(join(s.path, name), Symlink, errSymlink)
		case typeUnknown:
			if st, err := lstat(join(s.path, name)); err == nil && st.typ == typeDir {
				issues = append(issues, name)
				return
			}
			a.entry(s.path, name, "", typ)
		default:
			a.entry(s.path, name, "", typ)
		}
	})
	a.done(s.path, err)
	// Files added to an issue folder do not change this folder: only one
	// without issue folders can be remembered as empty.
	w.remember(s.path, mark, a.added == 0 && len(issues) == 0, cmp.Or(err, a.err))
	for _, issue := range issues {
		w.scanIssue(l, fs, s.folder, join(s.path, issue), issue)
	}
}

// scanIssue scans the issue folder dir, named issue, of error/ or issue-missing/.
func (w *walk) scanIssue(l *lister, fs *FolderStats, folder Folder, dir, issue string) {
	a := accumulator{w: w, fs: fs, folder: folder}
	key := w.name(dir, issue)
	a.done(dir, l.list(dir, func(name string, typ entryType) { a.entry(dir, name, key, typ) }))
	if a.added > 0 {
		fs.Issues++
	}
}
