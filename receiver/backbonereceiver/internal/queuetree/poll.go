package queuetree

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"time"
)

// pollStamp is what a poll remembers of a watched folder, or of an issue
// subfolder, as it was just before its last listing: any entry added,
// removed or renamed changes its key since.
type pollStamp struct {
	key dirKey
	// untrusted is set when the listing cannot vouch for the folder's
	// content until the next change: the folder was modified too close to
	// the listing (racily clean), or the listing met a problem there.
	untrusted bool
	// For error/ and issue-missing/: the stamps of the issue subfolders by
	// name, since a file added to one changes that one only; and whether
	// files lay in the folder itself.
	issues map[string]pollStamp
	loose  bool
	// missing is set for a folder that is not there: Backbone makes most
	// only when needed, and one still missing needs no listing.
	missing bool
}

// unchanged tells whether a folder whose stamp is now n is as o vouched.
func (o pollStamp) unchanged(n pollStamp) bool {
	return !o.untrusted && o.key == n.key && o.missing == n.missing
}

// PollWatched is ListWatched for a poll, where nothing notifies changes: it
// lists only the folders, or issue subfolders, whose modification time,
// change time or size moved since its previous listing, one stat each
// instead of a stat per file, and returns the tree and the folders it listed:
// the scope of the tracker's diff. Polling costs what changed, not what
// exists.
//
// A file rewritten in place does not change its folder: its new size waits
// for the next full scan, which has nothing to announce about it anyway. A
// folder modified within racyWindow of its listing is listed again at the
// next poll, since a change in the same timestamp tick leaves its times as
// they were. Timestamps come from the file system's clock: on a network
// file system, a server clock behind this one's by more than racyWindow can
// let such a change wait for the next full scan. On NFS, stat answers from
// the client's attribute cache, which may be acdirmin to acdirmax (30 to 60 s
// by default) old, so a change made on another node may be seen that late;
// the full scan at every collection interval opens each folder, which
// revalidates it with the server, and reconciles what a poll missed. So does
// it for an issue subfolder made and removed again between two polls of a
// changed error/, whose files no poll lists.
//
// PollWatched calls must not overlap.
func (s *Scanner) PollWatched(ctx context.Context, folders []Watched) (*Tree, []Watched) {
	now := s.now()
	next := make(map[string]pollStamp, len(folders))
	var list []Watched
	l := newLister()
	for _, wf := range folders {
		path := wf.Path()
		stamp, ok := s.pollStamp(path, now)
		if !ok || ctx.Err() != nil {
			list = append(list, wf) // ListWatched reports it, or finds it gone
			continue
		}
		old, had := s.polled[path]
		if !wf.Folder.HasIssues() || stamp.missing {
			if !had || !old.unchanged(stamp) {
				list = append(list, wf)
			} else {
				stamp = old
			}
			next[path] = stamp
			continue
		}
		var issues []Watched
		stamp.issues, stamp.loose, issues = s.pollIssues(l, wf, path, now, old, had && old.unchanged(stamp))
		list = append(list, issues...)
		next[path] = stamp
	}
	tree := s.ListWatched(ctx, list)
	distrust(next, tree.Problems)
	s.polled = next
	return tree, list
}

// pollIssues returns the stamps of the issue subfolders of the error/ or
// issue-missing/ folder wf at path, whether files lie in it directly, and
// what to list of it. When the folder itself is unchanged since old, its
// issue subfolders are the same and each is stat'ed; otherwise its entries
// are read (no stat per file) to learn them, and those new, changed or gone
// are listed. Without an earlier stamp, or with files in the folder itself
// now or then, the whole folder is listed.
func (s *Scanner) pollIssues(l *lister, wf Watched, path string, now time.Time, old pollStamp, same bool) (map[string]pollStamp, bool, []Watched) {
	issues := map[string]pollStamp{}
	var list []Watched
	if same {
		for name, o := range old.issues {
			stamp, ok := s.pollStamp(join(path, name), now)
			if !ok || !o.unchanged(stamp) {
				list = append(list, wf.IssueFolder(name))
			} else {
				stamp = o
			}
			if ok && !stamp.missing {
				issues[name] = stamp
			}
		}
		return issues, old.loose, list
	}
	loose := false
	var names []string
	err := l.list(path, func(name string, typ entryType) {
		if isDir(path, name, typ) {
			names = append(names, name)
		} else {
			loose = true
		}
	})
	whole := err != nil || old.issues == nil || loose || old.loose
	for _, name := range names {
		stamp, ok := s.pollStamp(join(path, name), now)
		if !ok || stamp.missing {
			stamp.untrusted = true
		}
		o, had := old.issues[name]
		if !whole && (!had || !o.unchanged(stamp)) {
			list = append(list, wf.IssueFolder(name))
		}
		if had && o.unchanged(stamp) {
			stamp = o
		}
		issues[name] = stamp
	}
	if whole {
		return issues, loose, []Watched{wf}
	}
	for name := range old.issues {
		if _, ok := issues[name]; !ok {
			list = append(list, wf.IssueFolder(name)) // gone: its files are resolved
		}
	}
	return issues, loose, list
}

// pollStamp stats the folder at path, before it is listed; false when it is
// not a folder that can be vouched for, or not known to be missing.
func (s *Scanner) pollStamp(path string, now time.Time) (pollStamp, bool) {
	st, err := lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return pollStamp{missing: true}, true
	}
	if err != nil || !st.keyOK || st.typ != typeDir {
		return pollStamp{}, false
	}
	key := st.key
	if s.adjustKey != nil {
		s.adjustKey(&key)
	}
	limit := now.Add(-racyWindow).UnixNano()
	return pollStamp{key: key, untrusted: key.mtime >= limit || key.ctime >= limit}, true
}

// distrust marks the stamps of folders where a listing met a problem, or
// below a problem, so that they are listed again at the next poll. A name
// that is not valid UTF-8 is read all the same.
func distrust(stamps map[string]pollStamp, problems []Problem) {
	for _, p := range problems {
		if p.Kind == InvalidName {
			continue
		}
		for path, stamp := range stamps {
			if related(p.Path, validUTF8(path)) {
				stamp.untrusted = true
			}
			for name, issue := range stamp.issues {
				if related(p.Path, validUTF8(join(path, name))) {
					issue.untrusted = true
					stamp.issues[name] = issue
				}
			}
			stamps[path] = stamp
		}
	}
}

// related tells whether a and b are the same path or one lies below the other.
func related(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	rest, ok := strings.CutPrefix(b, a)
	return ok && (rest == "" || strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "\\"))
}
