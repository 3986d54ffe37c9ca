package msgtrack

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// formatVersion is written into every value; Load reads it and the
// previous version (1, without held messages, whose known files were all
// reported), and refuses any other, so a downgrade or a foreign value is
// reported instead of misread.
const formatVersion = 2

// Errors returned by Load; the receiver then starts fresh.
var (
	ErrUnknownVersion = errors.New("unknown tracker state version")
	ErrCorrupt        = errors.New("corrupt tracker state")
)

// state is the persisted form: known files and pending events only. API
// state is left out on purpose: after a restart, state changes start from a
// fresh baseline rather than compare against a stale one.
type state struct {
	Version int       `json:"version"`
	Known   []Message `json:"known,omitempty"`
	// Waiting are known files whose appearance is held back (Tracker.Hold)
	// and not reported yet; version 2.
	Waiting []Message `json:"waiting,omitempty"`
	Pending []Event   `json:"pending,omitempty"`
	// LastScan is when the latest full scan written with the state began:
	// a file the first scan after a restart finds new entered its folder
	// after it (see Message.Entered). Written whenever the state is.
	LastScan time.Time `json:"lastScan,omitzero"`
}

// Marshal returns the persisted form, deterministic for the same state.
func (t *Tracker) Marshal() ([]byte, error) {
	s := state{Version: formatVersion, Known: make([]Message, 0, len(t.known)), Pending: t.pending, LastScan: t.lastFull.UTC()}
	for _, e := range t.known {
		if e.waiting {
			s.Waiting = append(s.Waiting, e.msg)
		} else {
			s.Known = append(s.Known, e.msg)
		}
	}
	byPath := func(a, b Message) int { return strings.Compare(a.Path, b.Path) }
	slices.SortFunc(s.Known, byPath)
	slices.SortFunc(s.Waiting, byPath)
	data, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("marshal tracker state: %w", err)
	}
	t.dirty = false
	return data, nil
}

// Load replaces the known files and pending events with data written by
// Marshal; empty data leaves a fresh tracker. On error the tracker is
// unchanged. Pending events beyond the cap are dropped, oldest first.
func (t *Tracker) Load(data []byte) error {
	if len(data) == 0 {
		t.known, t.gone, t.pending, t.fresh, t.dirty = map[string]*entry{}, nil, nil, true, false
		return nil
	}
	var head struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if head.Version != formatVersion && head.Version != 1 {
		return fmt.Errorf("%w: %d", ErrUnknownVersion, head.Version)
	}
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	known, err := loadKnown(s.Known, s.Waiting)
	if err != nil {
		return err
	}
	for i, ev := range s.Pending {
		if err := checkEvent(ev); err != nil {
			return fmt.Errorf("%w: pending event %d: %w", ErrCorrupt, i, err)
		}
		s.Pending[i].Observed = ev.Observed.UTC()
		s.Pending[i].Message = normalize(ev.Message)
	}
	t.known, t.gone, t.pending, t.fresh, t.dirty = known, nil, s.Pending, false, false
	t.lastFull, t.lastListed = s.LastScan, nil
	t.enforceCap()
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
