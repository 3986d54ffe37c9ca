package msgtrack

import (
	"strings"
	"time"
)

// ObserveFolders diffs a re-list of some watched folders against the known
// files below them: a new path is an appearance, a known path below one of
// folders and no longer listed is a resolution (unless below an unreadable
// path), and every file elsewhere keeps its state. A file that moved from
// one of the folders to a folder not re-listed is resolved here and appears
// when its new folder is listed. now is when the re-list began, as for
// ObserveMessages; messages outside folders are ignored.
func (t *Tracker) ObserveFolders(now time.Time, folders []string, msgs []Message, unreadable []string) {
	t.observe(now, newFolderSet(folders), msgs, unreadable)
}

// folderSet is the scope of a partial observation; nil holds every path.
type folderSet map[string]struct{}

// newFolderSet returns the set of folders, trailing separators removed;
// never nil, so that no folders holds nothing.
func newFolderSet(folders []string) folderSet {
	s := make(folderSet, len(folders))
	for _, p := range trimPrefixes(folders) {
		s[p] = struct{}{}
	}
	return s
}

// holds reports whether path lies below one of the folders, looking its
// parents up one by one: a re-list names a few folders or a thousand, and
// the known files can be many more.
func (s folderSet) holds(path string) bool {
	if s == nil {
		return true
	}
	for {
		i := strings.LastIndexAny(path, separators)
		if i < 0 {
			return false
		}
		path = path[:i]
		if _, ok := s[path]; ok {
			return true
		}
		if path == "" {
			return false
		}
	}
}
