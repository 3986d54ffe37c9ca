package msgtrack

import (
	"cmp"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Baseline is the first observation of a tracker without state (Fresh): it
// takes msgs, the messages already in their folders, as the starting point.
// Those for which found returns true (none when found is nil) are found at
// start (Message.Found): each is reported now or, in a held folder (see
// Hold), once it has stayed there for its hold counted from now, however
// long it was there before. The others are taken as already announced,
// without events (start_at: end), except a message in a held folder that
// has not yet stayed there long enough: it becomes stuck after the start,
// which is news then.
func (t *Tracker) Baseline(now time.Time, msgs []Message, found func(Message) bool) {
	t.touch()
	now = now.UTC()
	var evs []Event
	for _, m := range msgs {
		if m.Path == "" {
			continue
		}
		m = normalize(m)
		if e, ok := t.known[m.Path]; ok {
			m.Entered, m.Found = e.msg.Entered, e.msg.Found // decided when first seen
			if e.msg != m {
				e.msg = m
				t.mark(m.Path)
			}
			continue
		}
		m.Entered = clampEntered(m.Entered, time.Time{}, now)
		hold := t.hold[m.Folder]
		e := &entry{msg: m, waiting: hold > 0 && now.Before(m.Entered.Add(hold))}
		if found != nil && found(m) {
			e.msg.Found, e.waiting = now, hold > 0
			if !e.waiting {
				evs = append(evs, Event{Kind: KindAppeared, Message: e.msg, Observed: now, TimeInFolder: since(m.Entered, now)})
			}
		}
		t.put(m.Path, e)
		t.mark(m.Path)
	}
	slices.SortFunc(evs, func(a, b Event) int { return strings.Compare(a.Message.Path, b.Message.Path) })
	t.enqueue(evs...)
}

// ObserveMessages diffs one full scan against the known files: a new path is
// an appearance, a known path no longer listed is a resolution unless it lies
// under one of the unreadable paths, whose files keep their state until the
// path can be read again. now is when the scan began; listings come one after
// another (the receiver's loop runs nothing side by side), each later than
// the last. The events of one call are ordered by the time they happened,
// then by path. Messages without a path are ignored; of duplicate paths the
// first counts.
func (t *Tracker) ObserveMessages(now time.Time, msgs []Message, unreadable []string) {
	t.observe(now, nil, msgs, unreadable)
}

// observe diffs a listing that began at now against the known files within
// scope (every file when scope is nil).
func (t *Tracker) observe(now time.Time, scope folderSet, msgs []Message, unreadable []string) {
	t.touch()
	now = now.UTC()
	t.gen++
	var evs []Event
	for _, m := range msgs {
		if m.Path == "" || !scope.holds(m.Path) {
			continue
		}
		m = normalize(m)
		e, ok := t.known[m.Path]
		switch {
		case !ok:
			m.Entered = clampEntered(m.Entered, t.previousListing(m.Path), now)
			e := &entry{msg: m, seen: t.gen, waiting: t.hold[m.Folder] > 0}
			t.put(m.Path, e)
			t.mark(m.Path)
			if !e.waiting {
				evs = append(evs, Event{Kind: KindAppeared, Message: m, Observed: now})
			}
		case e.seen == t.gen: // duplicate in this scan
		default:
			e.seen = t.gen
			m.Entered, m.Found = e.msg.Entered, e.msg.Found // decided when first seen
			if e.msg != m {                                 // same file, new size or time: not a new appearance
				e.msg = m
				t.mark(m.Path)
			}
		}
	}
	prefixes := trimPrefixes(unreadable)
	for path, e := range t.inScope(scope) {
		if e.seen == t.gen {
			if e.waiting && !now.Before(e.msg.holdStart().Add(t.hold[e.msg.Folder])) {
				e.waiting = false
				t.mark(path)
				evs = append(evs, Event{Kind: KindAppeared, Message: e.msg, Observed: now, TimeInFolder: since(e.msg.enteredOrModified(), now)})
			}
			continue
		}
		if covered(prefixes, path) {
			continue
		}
		t.forget(path)
		t.mark(path)
		if !e.waiting { // one healed before it was reported has no event
			evs = append(evs, resolved(now, e.msg))
		}
	}
	t.listed(now, scope)
	slices.SortFunc(evs, func(a, b Event) int {
		return cmp.Or(a.Time().Compare(b.Time()), strings.Compare(a.Message.Path, b.Message.Path))
	})
	t.enqueue(evs...)
}

// inScope returns the known files within scope (every one when scope is nil),
// found through the folder index: a re-list of one folder costs that folder's
// files. They are collected first, since the caller forgets some of them.
func (t *Tracker) inScope(scope folderSet) map[string]*entry {
	if scope == nil {
		return t.known
	}
	out := map[string]*entry{}
	for folder := range scope {
		t.dirs.below(folder, func(path string, e *entry) { out[path] = e })
	}
	return out
}

// previousListing returns when the latest listing that covered path began:
// a file it did not see entered its folder after that.
func (t *Tracker) previousListing(path string) time.Time {
	prev := t.lastFull
	for dir := path; ; {
		i := strings.LastIndexAny(dir, separators)
		if i < 0 {
			return prev
		}
		dir = dir[:i]
		if at, ok := t.lastListed[dir]; ok && at.After(prev) {
			prev = at
		}
		if dir == "" {
			return prev
		}
	}
}

// listed remembers that a listing of scope (everything when nil) began at began.
func (t *Tracker) listed(began time.Time, scope folderSet) {
	began = began.Round(0).UTC()
	if scope == nil {
		t.lastFull, t.lastListed = maxTime(t.lastFull, began), nil
		return
	}
	if t.lastListed == nil {
		t.lastListed = map[string]time.Time{}
	}
	for folder := range scope {
		t.lastListed[folder] = maxTime(t.lastListed[folder], began)
	}
}

// clampEntered bounds the time a file entered its folder by what the
// listings prove: after the previous listing that did not see it (when there
// was one), not after now, the listing that did. File times come from the
// file system's clock, which may differ from this one.
func clampEntered(entered, previous, now time.Time) time.Time {
	if entered.IsZero() {
		return entered
	}
	if entered.Before(previous) {
		entered = previous
	}
	if entered.After(now) {
		entered = now
	}
	return entered
}

// since returns now minus t, never negative, zero when t is unknown.
func since(t, now time.Time) time.Duration {
	if t.IsZero() || !now.After(t) {
		return 0
	}
	return now.Sub(t)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Retain forgets, without events, the known files for which keep returns
// false, and returns how many it forgot: the receiver no longer watches their
// folder (its event was switched off), so they have not left it, and the
// tracker holds state only for watched folders. Pending events stay.
func (t *Tracker) Retain(keep func(Message) bool) int {
	n := 0
	for path, e := range t.known {
		if !keep(e.msg) {
			t.forget(path)
			t.mark(path)
			n++
		}
	}
	return n
}

// touch ends freshness; the first observation must reach storage even when it
// found nothing, so that a restart does not apply start_at again.
func (t *Tracker) touch() {
	if t.fresh {
		t.fresh = false
		t.dirty = true
	}
}

func resolved(now time.Time, m Message) Event {
	return Event{Kind: KindResolved, Message: m, Observed: now, TimeInFolder: since(m.enteredOrModified(), now)}
}

// normalize drops location and monotonic clock from times, so that state
// compares equal after a JSON round trip.
func normalize(m Message) Message {
	m.ModTime = m.ModTime.UTC()
	m.Entered = m.Entered.UTC()
	m.Found = m.Found.UTC()
	return m
}

const separators = "/" + string(filepath.Separator)

// trimPrefixes removes trailing separators, so that "/a/b/" and "/a/b" cover
// the same files; "/" becomes "" and covers every absolute path. Empty
// entries cover nothing.
func trimPrefixes(unreadable []string) []string {
	out := make([]string, 0, len(unreadable))
	for _, p := range unreadable {
		if p != "" {
			out = append(out, strings.TrimRight(p, separators))
		}
	}
	return out
}

// covered reports whether path equals or lies below one of the prefixes, on
// path boundaries: "/a/b" covers "/a/b/c" but not "/a/bc".
func covered(prefixes []string, path string) bool {
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(path, p); ok && (rest == "" || strings.IndexByte(separators, rest[0]) >= 0) {
			return true
		}
	}
	return false
}
