package msgtrack

import (
	"cmp"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Baseline records msgs as already announced, without events: start_at=end
// means files present at the first start are not news.
func (t *Tracker) Baseline(msgs []Message) {
	t.touch()
	for _, m := range msgs {
		if m.Path == "" {
			continue
		}
		m = normalize(m)
		if e, ok := t.known[m.Path]; ok {
			if e.msg != m {
				e.msg = m
				t.dirty = true
			}
			continue
		}
		t.known[m.Path] = &entry{msg: m}
		t.dirty = true
	}
}

// ObserveMessages diffs one full scan against the known files: a new path is
// an appearance, a known path no longer listed is a resolution unless it lies
// under one of the unreadable paths, whose files keep their state until the
// path can be read again. now is when the scan began; a file first seen by a
// listing that began later is not resolved, and a file that such a listing
// found gone is not announced again, so that a full scan processed after a
// newer re-list (see ObserveFolders) never yields a resolve-then-reappear
// pair. The events of one call are ordered by the time they happened, then
// by path. Messages without a path are ignored; of duplicate paths the first
// counts.
func (t *Tracker) ObserveMessages(now time.Time, msgs []Message, unreadable []string) {
	t.observe(now, nil, msgs, unreadable)
	// No listing older than this full scan is still to come: forget what
	// earlier listings found gone.
	for path, at := range t.gone {
		if !at.After(now) {
			delete(t.gone, path)
		}
	}
}

// observe diffs a listing that began at now against the known files within
// scope (every file when scope is nil).
func (t *Tracker) observe(now time.Time, scope folderSet, msgs []Message, unreadable []string) {
	t.touch()
	began := now // keeps the monotonic clock for comparisons
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
			if at, gone := t.gone[m.Path]; gone && at.After(began) {
				continue // a newer listing found it gone: this one is stale
			}
			delete(t.gone, m.Path)
			t.known[m.Path] = &entry{msg: m, seen: t.gen, since: began, listed: began}
			evs = append(evs, Event{Kind: KindAppeared, Message: m, Observed: now})
		case e.seen == t.gen: // duplicate in this scan
		default:
			e.seen = t.gen
			if !e.listed.After(began) && e.msg != m { // same file, new size or time: not a new appearance
				e.msg = m
				t.dirty = true
			}
			e.listed = maxTime(e.listed, began)
		}
	}
	prefixes := trimPrefixes(unreadable)
	for path, e := range t.known {
		if e.seen == t.gen || e.since.After(began) || !scope.holds(path) || covered(prefixes, path) {
			continue
		}
		delete(t.known, path)
		if t.gone == nil {
			t.gone = map[string]time.Time{}
		}
		t.gone[path] = began
		evs = append(evs, resolved(now, e.msg))
	}
	slices.SortFunc(evs, func(a, b Event) int {
		return cmp.Or(a.Time().Compare(b.Time()), strings.Compare(a.Message.Path, b.Message.Path))
	})
	t.enqueue(evs...)
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
			delete(t.known, path)
			n++
		}
	}
	if n > 0 {
		t.dirty = true
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
	ev := Event{Kind: KindResolved, Message: m, Observed: now}
	if !m.ModTime.IsZero() && now.After(m.ModTime) {
		ev.TimeInFolder = now.Sub(m.ModTime)
	}
	return ev
}

// normalize drops location and monotonic clock from times, so that state
// compares equal after a JSON round trip.
func normalize(m Message) Message {
	m.ModTime = m.ModTime.UTC()
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
