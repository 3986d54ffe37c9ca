package queuetree

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// Watched names one watched folder of a connector that a full scan found:
// what ListWatched re-lists and what a watcher watches.
type Watched struct {
	Namespace      string
	IntegrationKey string
	ConnectorKey   string
	ConnectorPath  string // Connector.Path
	Folder         Folder
	// Issue names one issue subfolder of Folder (error/ or issue-missing/):
	// the Watched stands for that subfolder alone. "" for the whole folder.
	Issue string
}

// Path returns the folder's path: the prefix of its files' paths.
func (w Watched) Path() string {
	if w.Issue != "" {
		return join(w.folderPath(), w.Issue)
	}
	return w.folderPath()
}

// folderPath returns the path of w's Folder, the issue subfolder left out.
func (w Watched) folderPath() string {
	return join(w.ConnectorPath, filepath.FromSlash(w.Folder.Dir()))
}

// IssueFolder returns the Watched of the issue subfolder named issue of w's
// folder: a change notified there is re-listed alone.
func (w Watched) IssueFolder(issue string) Watched {
	w.Issue = issue
	return w
}

// WatchedFolders returns, in t's order, the watched folders of t's
// connectors for which enabled is true, whether they exist or not: Backbone
// creates them when needed. Connectors whose path was not valid UTF-8 are
// left to full scans, since their reported path cannot be opened.
func WatchedFolders(t *Tree, enabled func(Folder) bool) []Watched {
	var out []Watched
	for _, c := range t.Connectors {
		if strings.ContainsRune(c.Path, utf8.RuneError) {
			continue
		}
		for _, f := range Folders {
			if f.Watched() && enabled(f) {
				out = append(out, Watched{
					Namespace: c.Namespace, IntegrationKey: c.IntegrationKey, ConnectorKey: c.ConnectorKey,
					ConnectorPath: c.Path, Folder: f,
				})
			}
		}
	}
	return out
}

// ListWatched lists only the given folders or issue subfolders, with no
// discovery walk and nothing else of their connectors, and returns them as
// Scan does: the same Files, issue subfolders, Exists and Problems, so that
// a re-list and a full scan are indistinguishable to whoever diffs them
// within the listed paths. The Tree holds one Connector per connector named
// in folders, with only those folders set.
// A root that is missing or unreadable is reported as Scan reports it, with
// no connector: an unmounted share must not look like empty folders.
// The receiver calls it between full scans, never beside one: its loop runs
// one listing at a time. ListWatched calls must not overlap.
func (s *Scanner) ListWatched(ctx context.Context, folders []Watched) *Tree {
	t := &Tree{Root: s.opts.Root}
	w := &walk{ctx: ctx, s: s}
	if !w.rootIsFolder() {
		t.Problems = w.sortedProblems()
		return t
	}
	l := newLister()
	byPath := map[string]int{}
	parents := map[string]bool{} // RECEIVE or SEND folder -> is a folder
	for _, wf := range folders {
		if ctx.Err() != nil {
			w.problem(wf.ConnectorPath, ReadError, ctx.Err())
			continue
		}
		i, ok := byPath[wf.ConnectorPath]
		if !ok {
			i = len(t.Connectors)
			byPath[wf.ConnectorPath] = i
			t.Connectors = append(t.Connectors, w.emptyConnector(wf))
		}
		fs := t.Connectors[i].Folder(wf.Folder)
		if fs == nil || !wf.Folder.Watched() {
			continue
		}
		path := wf.folderPath()
		parent := filepath.Dir(path)
		isDir, ok := parents[parent]
		if !ok {
			isDir = w.parentIsFolder(parent)
			parents[parent] = isDir
		}
		if !isDir {
			continue
		}
		typ, exists := w.entryType(path)
		switch {
		case !exists:
		case wf.Issue == "":
			w.scanSub(l, fs, subfolder{folder: wf.Folder, path: path, typ: typ})
		case wf.Folder.HasIssues() && w.isFolder(fs, path, typ):
			w.listIssue(l, fs, wf.Folder, join(path, wf.Issue), wf.Issue)
		}
	}
	for i := range t.Connectors {
		for j := range t.Connectors[i].Folders {
			slices.SortFunc(t.Connectors[i].Folders[j].Files, func(a, b File) int { return cmp.Compare(a.Path, b.Path) })
		}
	}
	slices.SortFunc(t.Connectors, func(a, b Connector) int {
		return cmp.Or(cmp.Compare(a.IntegrationKey, b.IntegrationKey),
			cmp.Compare(a.ConnectorKey, b.ConnectorKey),
			cmp.Compare(a.Namespace, b.Namespace))
	})
	t.Problems = w.sortedProblems()
	return t
}

// listIssue lists the issue folder at path as scanIssues would meet it: a
// symbolic link is reported, and an issue folder that is gone, or is a file
// now, holds nothing (its folder's own change lists that file).
func (w *walk) listIssue(l *lister, fs *FolderStats, folder Folder, path, issue string) {
	st, err := lstat(path)
	switch {
	case err != nil:
		w.fail(path, err)
	case st.typ == typeSymlink:
		w.problem(path, Symlink, errSymlink)
	case st.typ == typeDir:
		w.scanIssue(l, fs, folder, path, issue)
	}
}

// emptyConnector is the Connector of wf with nothing listed yet, byte
// counts known as a full scan starts them.
func (w *walk) emptyConnector(wf Watched) Connector {
	c := Connector{Namespace: wf.Namespace, IntegrationKey: wf.IntegrationKey, ConnectorKey: wf.ConnectorKey, Path: wf.ConnectorPath}
	for i, f := range Folders {
		c.Folders[i].BytesKnown = f != Archive || w.s.opts.ArchiveDetails
	}
	return c
}

// parentIsFolder checks RECEIVE or SEND as a full scan does: a symbolic
// link or a file there is reported and nothing below it is read; a missing
// one holds no folder.
func (w *walk) parentIsFolder(path string) bool {
	st, err := lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		w.fail(path, err)
	case st.typ == typeSymlink:
		w.problem(path, Symlink, errSymlink)
	case st.typ != typeDir:
		w.problem(path, NotADirectory, errNotDir)
	default:
		return true
	}
	return false
}

// entryType returns the type of the entry at path as its parent's listing
// would give it, and false when there is none: a missing folder is simply
// absent, as in a full scan.
func (w *walk) entryType(path string) (entryType, bool) {
	st, err := lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return typeUnknown, false
	case err != nil:
		return typeUnknown, true // scanSub's own lstat reports it
	}
	return st.typ, true
}
