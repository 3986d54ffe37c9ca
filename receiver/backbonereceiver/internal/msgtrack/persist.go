package msgtrack

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// The state is stored as a base, the whole state, and a journal of the changes
// since, one value per Save under StateKey + "/" + n, n counting up from the
// base's first. A Save writes one value: the changes since the previous Save
// (known files added, changed or forgotten, pending events added, how many
// left the head), so that a tick that changed a few messages writes a few
// messages' worth. Once the journal would outgrow the base, the Save writes a
// new base instead and deletes the journal, in one batch (one transaction in
// file_storage): what is stored stays within about twice the state, and what
// is written within about three times the changes.
//
// The base is a head under StateKey and the state's JSON in parts of at most
// partSize bytes under StateKey + "/base/" + i. A store that keeps values in
// pages, as file_storage's bbolt does, rewrites the page a new journal value
// lands in with the values beside it: a base of megabytes in one value would
// be rewritten with the first journal values after it.
//
// Each value replaces its key as a whole, so a Save that fails or is killed
// leaves the state of the Save before; one retried writes the same key again.

// StateKey is the storage key of the base's head.
const StateKey = "message_events"

// partSize is the most bytes of the base stored under one key: half a page.
const partSize = 2 << 10

// minJournal is the journal size below which no base is rewritten, so that a
// small state is not rewritten at every Save.
const minJournal = 64 << 10

// formatVersion is written into every head; Load reads it and the previous
// versions, which were the whole state in one value (1: without held
// messages, whose known files were all reported), and refuses any other, so
// that a downgrade or a foreign value is reported instead of misread.
const formatVersion = 3

// Errors returned by Load for a stored state it cannot read; the receiver
// then starts fresh.
var (
	ErrUnknownVersion = errors.New("unknown tracker state version")
	ErrCorrupt        = errors.New("corrupt tracker state")
)

// head is the value under StateKey.
type head struct {
	Version int `json:"version"`
	// Journal is the number of the first journal value after the base, and
	// Parts the number of its parts; version 3.
	Journal uint64 `json:"journal,omitempty"`
	Parts   int    `json:"parts,omitempty"`
}

// state is the base: known files and pending events only, in the parts
// (version 3) or with the head in one value (earlier versions). API state is
// left out on purpose: after a restart, state changes start from a fresh
// baseline rather than compare against a stale one.
type state struct {
	Known []Message `json:"known,omitempty"`
	// Waiting are known files whose appearance is held back (Tracker.Hold)
	// and not reported yet; version 2.
	Waiting []Message `json:"waiting,omitempty"`
	Pending []Event   `json:"pending,omitempty"`
	// LastScan is when the latest full scan written with the state began:
	// a file the first scan after a restart finds new entered its folder
	// after it (see Message.Entered). Written whenever the state is.
	LastScan time.Time `json:"lastScan,omitzero"`
}

// change is one journal value: what changed since the value before.
type change struct {
	Known   []Message `json:"known,omitempty"`   // added or changed, reported
	Waiting []Message `json:"waiting,omitempty"` // added or changed, held back
	Gone    []string  `json:"gone,omitempty"`    // paths forgotten
	// Shifted is how many pending events left the head (delivered or
	// dropped) before Pending were added at the tail.
	Shifted  int       `json:"shifted,omitempty"`
	Pending  []Event   `json:"pending,omitempty"`
	LastScan time.Time `json:"lastScan,omitzero"`
}

// journal is where the stored state stands.
type journal struct {
	based     bool   // a base of this tracker is stored
	first     uint64 // the base's Journal
	next      uint64 // the number of the next journal value
	parts     int    // of the base
	baseBytes int
	bytes     int // of the journal values
}

func journalKey(n uint64) string { return StateKey + "/" + strconv.FormatUint(n, 10) }

func partKey(i int) string { return StateKey + "/base/" + strconv.Itoa(i) }

// Save writes to client what changed since the last Save or Load, if
// anything did: one value, or one batch when it rewrites the base. On error
// nothing counts as saved, and the next Save writes it again.
func (t *Tracker) Save(ctx context.Context, client storage.Client) error {
	if !t.dirty {
		return nil
	}
	var data []byte
	if t.log.based {
		var err error
		if data, err = json.Marshal(t.change()); err != nil {
			return fmt.Errorf("marshal tracker state: %w", err)
		}
	}
	if !t.log.based || t.log.bytes+len(data) > max(t.log.baseBytes, minJournal) {
		return t.saveBase(ctx, client)
	}
	if err := client.Set(ctx, journalKey(t.log.next), data); err != nil {
		return fmt.Errorf("save tracker state: %w", err)
	}
	t.log.next++
	t.log.bytes += len(data)
	t.clean()
	return nil
}

// saveBase writes the whole state and deletes the journal, the value a failed
// Set may have left at its next number included, and the parts the base no
// longer needs. A tracker without a stored base (new, or loaded from a value
// of an earlier version or one it could not read) starts its journal at a
// random number, so that the journal of a base it could not read, which it
// cannot find to delete, is never taken for its own.
func (t *Tracker) saveBase(ctx context.Context, client storage.Client) error {
	first := rand.Uint64N(1 << 62)
	if t.log.based {
		first = t.log.next + 1
	}
	data, err := t.marshal()
	if err != nil {
		return err
	}
	parts := (len(data) + partSize - 1) / partSize
	h, err := json.Marshal(head{Version: formatVersion, Journal: first, Parts: parts})
	if err != nil {
		return fmt.Errorf("marshal tracker state: %w", err)
	}
	ops := []*storage.Operation{storage.SetOperation(StateKey, h)}
	for i := range parts {
		ops = append(ops, storage.SetOperation(partKey(i), data[i*partSize:min(len(data), (i+1)*partSize)]))
	}
	for i := parts; i < t.log.parts; i++ {
		ops = append(ops, storage.DeleteOperation(partKey(i)))
	}
	if t.log.based {
		for n := t.log.first; n <= t.log.next; n++ {
			ops = append(ops, storage.DeleteOperation(journalKey(n)))
		}
	}
	if err := client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("save tracker state: %w", err)
	}
	t.log = journal{based: true, first: first, next: first, parts: parts, baseBytes: len(data)}
	t.clean()
	return nil
}

// clean records that storage holds the tracker's state.
func (t *Tracker) clean() {
	t.changed = map[string]struct{}{}
	t.saved, t.shifted, t.dirty = len(t.pending), 0, false
}

// change returns what changed since the last Save or Load.
func (t *Tracker) change() change {
	c := change{Shifted: t.shifted, Pending: t.pending[t.saved:], LastScan: t.lastFull.UTC()}
	for path := range t.changed {
		switch e, ok := t.known[path]; {
		case !ok:
			c.Gone = append(c.Gone, path)
		case e.waiting:
			c.Waiting = append(c.Waiting, e.msg)
		default:
			c.Known = append(c.Known, e.msg)
		}
	}
	slices.Sort(c.Gone)
	slices.SortFunc(c.Known, byPath)
	slices.SortFunc(c.Waiting, byPath)
	return c
}

func byPath(a, b Message) int { return strings.Compare(a.Path, b.Path) }

// marshal returns the base, deterministic for the same state.
func (t *Tracker) marshal() ([]byte, error) {
	s := state{Known: make([]Message, 0, len(t.known)), Pending: t.pending, LastScan: t.lastFull.UTC()}
	for _, e := range t.known {
		if e.waiting {
			s.Waiting = append(s.Waiting, e.msg)
		} else {
			s.Known = append(s.Known, e.msg)
		}
	}
	slices.SortFunc(s.Known, byPath)
	slices.SortFunc(s.Waiting, byPath)
	data, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("marshal tracker state: %w", err)
	}
	return data, nil
}

// Load replaces the known files and pending events with the state Save wrote
// to client, or a value of an earlier version, which the next Save replaces
// with a base; nothing stored leaves a fresh tracker. Pending events beyond
// the cap are dropped, oldest first. On error the tracker is unchanged; the
// error wraps ErrCorrupt or ErrUnknownVersion when the stored state is not
// readable, and is the storage's error otherwise.
func (t *Tracker) Load(ctx context.Context, client storage.Client) error {
	data, err := client.Get(ctx, StateKey)
	if err != nil {
		return fmt.Errorf("read tracker state: %w", err)
	}
	if len(data) == 0 {
		t.known, t.pending, t.fresh = map[string]*entry{}, nil, true
		t.dirs = dirIndex{}
		t.log = journal{}
		t.clean()
		return nil
	}
	var h head
	if err := json.Unmarshal(data, &h); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if h.Version < 1 || h.Version > formatVersion {
		return fmt.Errorf("%w: %d", ErrUnknownVersion, h.Version)
	}
	log := journal{based: h.Version == formatVersion, first: h.Journal, next: h.Journal, parts: h.Parts}
	if log.based {
		if data, err = readParts(ctx, client, h.Parts); err != nil {
			return err
		}
	}
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err := checkEvents(s.Pending); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	known, err := loadKnown(s.Known, s.Waiting)
	if err != nil {
		return err
	}
	log.baseBytes = len(data)
	for log.based {
		data, err := client.Get(ctx, journalKey(log.next))
		if err != nil {
			return fmt.Errorf("read tracker state: %w", err)
		}
		if data == nil {
			break
		}
		if err := replay(data, known, &s); err != nil {
			return fmt.Errorf("%w: journal value %d: %w", ErrCorrupt, log.next, err)
		}
		log.next++
		log.bytes += len(data)
	}
	t.known, t.pending, t.fresh = known, s.Pending, false
	t.dirs = indexOf(known)
	t.lastFull, t.lastListed = s.LastScan, nil
	t.log = log
	t.clean()
	t.dirty = !log.based // a value of an earlier version is replaced at the next Save
	t.enforceCap()
	return nil
}

// readParts returns the base's JSON, read from its parts.
func readParts(ctx context.Context, client storage.Client, parts int) ([]byte, error) {
	var data []byte
	for i := range parts {
		part, err := client.Get(ctx, partKey(i))
		if err != nil {
			return nil, fmt.Errorf("read tracker state: %w", err)
		}
		if part == nil {
			return nil, fmt.Errorf("%w: part %d of %d missing", ErrCorrupt, i, parts)
		}
		data = append(data, part...)
	}
	return data, nil
}

// replay applies a journal value to the known files and s.Pending.
func replay(data []byte, known map[string]*entry, s *state) error {
	var c change
	if err := json.Unmarshal(data, &c); err != nil {
		return err
	}
	if c.Shifted < 0 || c.Shifted > len(s.Pending) {
		return fmt.Errorf("%d of %d pending events delivered", c.Shifted, len(s.Pending))
	}
	if err := checkEvents(c.Pending); err != nil {
		return err
	}
	for _, path := range c.Gone {
		delete(known, path)
	}
	changed, err := loadKnown(c.Known, c.Waiting)
	if err != nil {
		return err
	}
	for path, e := range changed {
		known[path] = e
	}
	s.Pending = append(s.Pending[c.Shifted:], c.Pending...)
	s.LastScan = cmp.Or(c.LastScan, s.LastScan)
	return nil
}

func loadKnown(reported, waiting []Message) (map[string]*entry, error) {
	known := make(map[string]*entry, len(reported)+len(waiting))
	for i, m := range slices.Concat(reported, waiting) {
		if m.Path == "" {
			return nil, fmt.Errorf("%w: known file %d has no path", ErrCorrupt, i)
		}
		if _, dup := known[m.Path]; dup {
			return nil, fmt.Errorf("%w: known file %q listed twice", ErrCorrupt, m.Path)
		}
		known[m.Path] = &entry{msg: normalize(m), waiting: i >= len(reported)}
	}
	return known, nil
}

// checkEvents rejects events the receiver could not turn into records, and
// normalizes the others.
func checkEvents(evs []Event) error {
	for i := range evs {
		if err := checkEvent(evs[i]); err != nil {
			return fmt.Errorf("pending event %d: %w", i, err)
		}
		evs[i].Observed = evs[i].Observed.UTC()
		evs[i].Message = normalize(evs[i].Message)
	}
	return nil
}

// checkEvent rejects events the receiver could not turn into a record.
func checkEvent(ev Event) error {
	switch {
	case !ev.Kind.valid():
		return fmt.Errorf("unknown kind %q", ev.Kind)
	case (ev.Kind == KindAppeared || ev.Kind == KindResolved) && ev.Message.Path == "":
		return errors.New("message has no path")
	case (ev.Kind == KindStatusChanged || ev.Kind == KindOnlineChanged || ev.Kind == KindDetailsChanged) && ev.Integration == "":
		return errors.New("no integration")
	}
	return nil
}
