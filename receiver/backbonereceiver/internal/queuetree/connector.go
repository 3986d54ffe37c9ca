package queuetree

import (
	"cmp"
	"slices"
)

// The known subfolders of RECEIVE and SEND, by name.
var (
	receiveSubfolders = subfoldersOf(receiveDir)
	sendSubfolders    = subfoldersOf(sendDir)
)

// subfolder is a known folder met while listing RECEIVE or SEND, scanned
// once the listing is over (the lister's buffer is busy until then).
type subfolder struct {
	folder Folder
	path   string
	typ    entryType
}

// scanConnector counts the message folders of one connector.
func (w *walk) scanConnector(l *lister, ref connectorRef) Connector {
	c := Connector{
		Namespace:      ref.namespace,
		IntegrationKey: ref.integration,
		ConnectorKey:   ref.connector,
		Path:           validUTF8(ref.path),
	}
	for i, f := range Folders {
		c.Folders[i].BytesKnown = f != Archive || w.s.opts.ArchiveDetails
	}
	if ref.hasReceive {
		w.scanTop(l, &c, Receive, join(ref.path, receiveDir), ref.receive, func(name string) (Folder, bool) {
			f, ok := receiveSubfolders[name]
			return f, ok
		})
	}
	if ref.hasSend {
		w.scanTop(l, &c, Send, join(ref.path, sendDir), ref.send, func(name string) (Folder, bool) {
			f, ok := sendSubfolders[name]
			return f, ok
		})
	}
	for i := range c.Folders {
		slices.SortFunc(c.Folders[i].Files, func(a, b File) int { return cmp.Compare(a.Path, b.Path) })
	}
	return c
}

// scanTop scans RECEIVE or SEND with one listing: the messages directly in
// it are counted as top, the entries that sub recognises are scanned as
// their folders, any other folder is reported as unknown (Backbone's layout
// may have changed) and not counted, and anything else is ignored.
func (w *walk) scanTop(l *lister, c *Connector, top Folder, path string, typ entryType, sub func(string) (Folder, bool)) {
	fs := c.Folder(top)
	if !w.isFolder(fs, path, typ) {
		return
	}
	a := accumulator{w: w, fs: fs, folder: top}
	var subs []subfolder
	var unknown []string
	err := l.list(path, func(name string, typ entryType) {
		if f, ok := sub(name); ok {
			subs = append(subs, subfolder{folder: f, path: join(path, name), typ: typ})
			return
		}
		if isDir(path, name, typ) {
			unknown = append(unknown, name)
			return
		}
		a.entry(path, name, "", typ)
	})
	a.done(path, err)
	for _, name := range unknown {
		w.problem(join(path, name), UnknownFolder, errUnknownFolder)
	}
	for _, s := range subs {
		w.scanSub(l, c.Folder(s.folder), s)
	}
}

// scanSub scans one known subfolder of RECEIVE or SEND.
func (w *walk) scanSub(l *lister, fs *FolderStats, s subfolder) {
	if !w.isFolder(fs, s.path, s.typ) {
		return
	}
	switch {
	case s.folder == Archive:
		w.scanArchive(l, fs, s)
	case s.folder.HasIssues():
		w.scanIssues(l, fs, s)
	default:
		w.scanFlat(l, fs, s) // its error is a problem of the tree already
	}
}

// scanFlat scans a folder that holds its messages directly. A subfolder in
// it is not Backbone's documented layout, but its messages are messages of
// this folder all the same: they are counted, one level deep, and the
// subfolder is reported. archive/ keeps to its files alone, as its count
// without details (countFolder) does. It returns the error that kept the
// folder's own listing from being whole.
func (w *walk) scanFlat(l *lister, fs *FolderStats, s subfolder) error {
	mark, skip := w.unchangedEmpty(s.path)
	if skip {
		return nil
	}
	a := accumulator{w: w, fs: fs, folder: s.folder}
	var subs []string
	err := l.list(s.path, func(name string, typ entryType) {
		if s.folder != Archive && isDir(s.path, name, typ) {
			subs = append(subs, name)
			return
		}
		a.entry(s.path, name, "", typ)
	})
	a.done(s.path, err)
	// Files added to a subfolder do not change this folder: only one
	// without subfolders can be remembered as empty.
	err = cmp.Or(err, a.err)
	w.remember(s.path, mark, a.added == 0 && len(subs) == 0, err)
	for _, sub := range subs {
		dir := join(s.path, sub)
		w.name(dir, sub)
		w.problem(dir, UnexpectedSubfolder, errUnexpectedSubfolder)
		sa := accumulator{w: w, fs: fs, folder: s.folder}
		sa.done(dir, l.list(dir, func(name string, typ entryType) { sa.entry(dir, name, "", typ) }))
	}
	return err
}

// isDir tells whether the entry name of the folder dir is a folder, with an
// lstat only where the listing did not give the type.
func isDir(dir, name string, typ entryType) bool {
	if typ == typeUnknown {
		st, err := lstat(join(dir, name))
		return err == nil && st.typ == typeDir
	}
	return typ == typeDir
}

// isFolder checks that the entry at path, of the type its parent's listing
// gave, is a folder, reporting a file or a symbolic link in its place, and
// marks fs as existing if so.
func (w *walk) isFolder(fs *FolderStats, path string, typ entryType) bool {
	if typ == typeUnknown {
		st, err := lstat(path)
		if err != nil {
			if w.fail(path, err) {
				fs.BytesKnown = false
			}
			return false
		}
		typ = st.typ
	}
	switch typ {
	case typeDir:
		fs.Exists = true
		return true
	case typeSymlink:
		w.problem(path, Symlink, errSymlink)
	default:
		w.problem(path, NotADirectory, errNotDir)
	}
	fs.BytesKnown = false
	return false
}
