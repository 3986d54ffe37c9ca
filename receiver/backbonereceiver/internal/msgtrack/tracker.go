// Package msgtrack decides which message and state-change events are new and
// keeps those not yet accepted by the pipeline, so that each appearance of a
// message file is reported once, none is lost, and both hold across restarts
// through a storage extension, written in proportion to what changed.
package msgtrack

import (
	"slices"
	"time"
)

// DefaultMaxPending caps the pending events so that a pipeline refusing
// everything for long cannot grow memory and the persisted value unbounded.
const DefaultMaxPending = 100_000

// Tracker holds the files currently known in the watched folders, the last
// API state seen and the events pending delivery. It is not safe for
// concurrent use: the receiver serialises scrapes.
type Tracker struct {
	maxPending int
	known      map[string]*entry
	dirs       dirIndex // known, by folder
	gen        uint64   // scan counter, to find gone files without a second map
	pending    []Event
	dropped    int

	// hold is, per folder, how long a message must stay before its
	// appearance is reported (see Hold).
	hold map[string]time.Duration
	// lastFull is when the latest full scan began, and lastListed when the
	// latest re-list of each folder since began: the clamp of Entered.
	lastFull   time.Time
	lastListed map[string]time.Time

	integrations map[string]string
	connectors   map[connectorID]ConnectorState

	fresh bool
	dirty bool // Save has something to write

	// What changed since the last Save or Load, so that Save writes only that:
	// the paths whose known file was added, changed or forgotten (nil until
	// a Save or Load: a tracker kept in memory only does not collect them);
	// how many events at the head of pending are in storage, and how many
	// stored ones left since (delivered or dropped).
	changed map[string]struct{}
	saved   int
	shifted int
	log     journal
}

// entry is a known file and the scan that last listed it.
type entry struct {
	msg  Message
	seen uint64
	// waiting is set while its appearance is held back (see Hold): it is
	// reported once the message has stayed long enough, and a message that
	// leaves before has no event at all.
	waiting bool
}

// New returns an empty tracker; maxPending <= 0 means DefaultMaxPending.
func New(maxPending int) *Tracker {
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	return &Tracker{
		maxPending:   maxPending,
		known:        map[string]*entry{},
		dirs:         dirIndex{},
		integrations: map[string]string{},
		connectors:   map[connectorID]ConnectorState{},
		fresh:        true,
	}
}

// Hold makes the appearance of a message in one of the folders (keys are
// Message.Folder values) an event only once the message has stayed there
// for the given time, reported by the first observation after that, with
// the time it waited; a message that leaves sooner yields no event, nor a
// resolution. Folders not listed, and a duration <= 0, report on arrival.
func (t *Tracker) Hold(hold map[string]time.Duration) { t.hold = hold }

// Fresh reports whether the tracker has neither loaded state nor observed or
// baselined messages: only then does the receiver's start_at apply.
func (t *Tracker) Fresh() bool { return t.fresh }

// Pending returns a copy of the first max events awaiting delivery (all of
// them when max <= 0), oldest first: exactly what the next delivery attempt
// must carry.
func (t *Tracker) Pending(max int) []Event {
	n := len(t.pending)
	if max > 0 {
		n = min(n, max)
	}
	return slices.Clone(t.pending[:n])
}

// PendingCount returns the number of events awaiting delivery.
func (t *Tracker) PendingCount() int { return len(t.pending) }

// Delivered removes the first n pending events once the pipeline accepted
// them; n is clamped to the number pending.
func (t *Tracker) Delivered(n int) {
	n = min(n, len(t.pending))
	if n <= 0 {
		return
	}
	t.shift(n)
}

// Dropped returns how many events the cap discarded since the last call, so
// that the receiver can log the loss once.
func (t *Tracker) Dropped() int {
	n := t.dropped
	t.dropped = 0
	return n
}

// Known returns the number of files the tracker holds state for.
func (t *Tracker) Known() int { return len(t.known) }

// mark records that the known file at path was added, changed or forgotten.
func (t *Tracker) mark(path string) {
	if t.changed != nil {
		t.changed[path] = struct{}{}
	}
	t.dirty = true
}

// enqueue appends events and drops the oldest beyond the cap.
func (t *Tracker) enqueue(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	t.pending = append(t.pending, evs...)
	t.dirty = true
	t.enforceCap()
}

func (t *Tracker) enforceCap() {
	if over := len(t.pending) - t.maxPending; over > 0 {
		t.shift(over)
		t.dropped += over
	}
}

// shift removes the first n pending events, delivered or dropped.
func (t *Tracker) shift(n int) {
	// Delete shifts and clears the tail, so removed events are released.
	t.pending = slices.Delete(t.pending, 0, n)
	stored := min(n, t.saved)
	t.saved -= stored
	t.shifted += stored
	t.dirty = true
}
