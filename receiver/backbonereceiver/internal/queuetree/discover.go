package queuetree

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// connectorRef is a connector folder found by discover, with the types of
// its RECEIVE and SEND entries (zero when absent).
type connectorRef struct {
	namespace, integration, connector string // keys, valid UTF-8
	path                              string
	receive, send                     entryType
	hasReceive, hasSend               bool
}

// discover finds every connector folder below the root. The layout is read
// afresh on every scan, so integrations and connectors appear and disappear
// with their folders.
func (w *walk) discover(l *lister) []connectorRef {
	root := w.s.opts.Root
	if !w.rootIsFolder() {
		return nil
	}
	children, ok := w.subdirs(l, root, true)
	if !ok {
		return nil
	}
	var refs []connectorRef
	if w.isNamespace(l, root, children) {
		return w.integrations(l, refs, w.name(root, namespaceOf(root)), root, children)
	}
	for _, ns := range children {
		path := join(root, ns)
		integrations, ok := w.subdirs(l, path, true)
		if ok {
			refs = w.integrations(l, refs, w.name(path, ns), path, integrations)
		}
	}
	return refs
}

// rootIsFolder checks the root, reporting it missing (Jira's shared home
// not mounted) or not a folder. The root itself is followed if it is a
// symbolic link: it is the configured path, like the folders above it.
func (w *walk) rootIsFolder() bool {
	root := w.s.opts.Root
	fi, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		w.problem(root, RootMissing, err)
	case err != nil:
		w.fail(root, err)
	case !fi.IsDir():
		w.problem(root, NotADirectory, errNotDir)
	default:
		return true
	}
	return false
}

// integrations appends the connectors of the integration folders names,
// found in the namespace folder at path.
func (w *walk) integrations(l *lister, refs []connectorRef, namespace, path string, names []string) []connectorRef {
	for _, name := range names {
		ipath := join(path, name)
		integration := w.name(ipath, name)
		candidates, ok := w.subdirs(l, ipath, true)
		if !ok {
			continue
		}
		for _, cname := range candidates {
			cpath := join(ipath, cname)
			ref, ok := w.connector(cpath)
			if !ok {
				continue
			}
			ref.namespace, ref.integration, ref.connector = namespace, integration, w.name(cpath, cname)
			refs = append(refs, ref)
		}
	}
	return refs
}

// connector tells whether the folder at path is a connector: one holding a
// RECEIVE or SEND entry. Two lstats cost half a listing. Other folders are
// ignored.
func (w *walk) connector(path string) (ref connectorRef, ok bool) {
	ref.path = path
	for _, d := range []struct {
		name string
		has  *bool
		typ  *entryType
	}{{receiveDir, &ref.hasReceive, &ref.receive}, {sendDir, &ref.hasSend, &ref.send}} {
		st, err := lstat(join(path, d.name))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				w.fail(path, err)
				return ref, false
			}
			continue
		}
		*d.has, *d.typ = true, st.typ
	}
	return ref, ref.hasReceive || ref.hasSend
}

// subdirs returns the names of the folders in the folder at path. Symbolic
// links are not followed and, when report is set, reported: one where an
// integration or connector folder is expected hides its messages. Files
// are ignored. ok is false when the folder could not be listed.
func (w *walk) subdirs(l *lister, path string, report bool) (names []string, ok bool) {
	list := l.list
	if path == w.s.opts.Root {
		list = l.listFollowing // the configured path, followed like the folders above it
	}
	var unknown []string
	err := list(path, func(name string, typ entryType) {
		switch typ {
		case typeDir:
			names = append(names, name)
		case typeSymlink:
			if report {
				w.problem(join(path, name), Symlink, errSymlink)
			}
		case typeUnknown:
			unknown = append(unknown, name)
		}
	})
	if err != nil {
		if report {
			w.fail(path, err)
		}
		return nil, false
	}
	for _, name := range unknown {
		st, err := lstat(join(path, name))
		switch {
		case err != nil:
		case st.typ == typeDir:
			names = append(names, name)
		case st.typ == typeSymlink && report:
			w.problem(join(path, name), Symlink, errSymlink)
		}
	}
	return names, true
}

// isNamespace tells whether root is a namespace folder rather than the
// backbone-issue-sync folder: whether one of its children is an
// integration.
func (w *walk) isNamespace(l *lister, root string, children []string) bool {
	for _, c := range children {
		if isIntegrationKey(c) {
			return true
		}
	}
	for _, c := range children {
		if w.holdsConnectors(l, join(root, c)) {
			return true
		}
	}
	return false
}

// holdsConnectors tells whether the folder at path is an integration of an
// unusual name: one holding a folder with RECEIVE or SEND. A child named
// like an integration makes it a namespace, which ends the search early.
func (w *walk) holdsConnectors(l *lister, path string) bool {
	children, _ := w.subdirs(l, path, false)
	for _, c := range children {
		if isIntegrationKey(c) {
			return false
		}
	}
	for _, c := range children {
		for _, d := range []string{receiveDir, sendDir} {
			if st, err := lstat(join(join(path, c), d)); err == nil && st.typ == typeDir {
				return true
			}
		}
	}
	return false
}

// isIntegrationKey reports whether name looks like Backbone's integration
// keys: INT-<digits>.
func isIntegrationKey(name string) bool {
	const prefix = "INT-"
	if len(name) <= len(prefix) || name[:len(prefix)] != prefix {
		return false
	}
	for _, c := range name[len(prefix):] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// namespaceOf names the namespace of a root that is a namespace folder: its
// name, or its target's if it is a symbolic link.
func namespaceOf(root string) string {
	if fi, err := os.Lstat(root); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err := filepath.EvalSymlinks(root); err == nil {
			return filepath.Base(target)
		}
	}
	return filepath.Base(root)
}
