package msgtrack

import (
	"fmt"
	"path"
	"time"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// at is t0 plus i minutes: one scan per minute.
func at(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }

// msg builds the message of a file by its path, modified at t0.
func msg(p string) Message {
	return Message{
		Integration: "INT-1", Connector: "AP-1", ProjectKey: "AP",
		Folder: "error", Issue: "AP-7", Name: path.Base(p), Path: p,
		Size: 100, ModTime: t0,
	}
}

func msgs(paths ...string) []Message {
	out := make([]Message, 0, len(paths))
	for _, p := range paths {
		out = append(out, msg(p))
	}
	return out
}

// brief renders events as short lines, so that tables state the expected
// sequence at a glance.
func brief(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		switch ev.Kind {
		case KindAppeared, KindResolved:
			out = append(out, fmt.Sprintf("%s %s", ev.Kind, ev.Message.Path))
		case KindStatusChanged:
			out = append(out, fmt.Sprintf("status %s %s->%s", ev.Integration, ev.PreviousState, ev.State))
		case KindOnlineChanged:
			out = append(out, fmt.Sprintf("online %s/%s %t", ev.Integration, ev.Connector, ev.Online))
		}
	}
	return out
}

// known returns the number of files t tracks in the watched folders.
func known(t *Tracker) int { return len(t.known) }
