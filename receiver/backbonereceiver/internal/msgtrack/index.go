package msgtrack

import "strings"

// dirIndex indexes the known files by the folder they lie directly in, and
// each such folder by its parent, so that a re-list of one folder diffs the
// files below it without visiting the others: an issue folder re-listed
// among 200 costs its own files, not the 20,000 of error/.
type dirIndex map[string]*dirNode

// dirNode is one folder of the index: the known files directly in it, and its
// subfolders in the index.
type dirNode struct {
	files map[string]*entry
	subs  map[string]struct{}
}

// dirOf returns the folder path lies directly in: path up to its last
// separator, "" for a name without one.
func dirOf(path string) string {
	if i := strings.LastIndexAny(path, separators); i >= 0 {
		return path[:i]
	}
	return ""
}

// add indexes the known file at path.
func (x dirIndex) add(path string, e *entry) {
	x.node(dirOf(path)).files[path] = e
}

// node returns the node of dir, made and linked to its parents if missing.
func (x dirIndex) node(dir string) *dirNode {
	n, ok := x[dir]
	if ok {
		return n
	}
	n = &dirNode{files: map[string]*entry{}, subs: map[string]struct{}{}}
	x[dir] = n
	if dir != "" {
		x.node(dirOf(dir)).subs[dir] = struct{}{}
	}
	return n
}

// remove drops the file at path, and the folders left with nothing indexed.
func (x dirIndex) remove(path string) {
	dir := dirOf(path)
	n, ok := x[dir]
	if !ok {
		return
	}
	delete(n.files, path)
	for len(n.files) == 0 && len(n.subs) == 0 {
		delete(x, dir)
		if dir == "" {
			return
		}
		sub := dir
		dir = dirOf(dir)
		n = x[dir]
		delete(n.subs, sub)
	}
}

// below calls fn for each known file at or below dir.
func (x dirIndex) below(dir string, fn func(path string, e *entry)) {
	n, ok := x[dir]
	if !ok {
		return
	}
	for path, e := range n.files {
		fn(path, e)
	}
	for sub := range n.subs {
		x.below(sub, fn)
	}
}

// indexOf indexes known.
func indexOf(known map[string]*entry) dirIndex {
	x := dirIndex{}
	for path, e := range known {
		x.add(path, e)
	}
	return x
}

// put makes e the known file at path.
func (t *Tracker) put(path string, e *entry) {
	t.known[path] = e
	t.dirs.add(path, e)
}

// forget drops the known file at path.
func (t *Tracker) forget(path string) {
	delete(t.known, path)
	t.dirs.remove(path)
}
