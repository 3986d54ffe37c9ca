package backbonereceiver

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/msgtrack"
)

// leaderElector is the method set of contrib's k8s_leader_elector extension that the
// receiver uses. The extension declares its callbacks as type aliases of these function
// types, so it satisfies this interface without the receiver importing it (and client-go).
type leaderElector interface {
	SetCallBackFuncs(onStartedLeading func(context.Context), onStoppedLeading func())
}

// followElector hands starting and stopping the loop to the elector named by
// k8s_leader_elector: while this collector does not hold the Lease, the receiver makes no
// API call, reads no folder, watches nothing and emits nothing.
//
// A takeover skips no message. Each term of leadership starts from a fresh tracker, whatever
// this collector stored when it led before (another leader has announced and resolved
// messages since). Its first scan counts a message as already announced when its entry time
// (the later of the file's modification and change times) is at or before
//
//	takeover - takeover_lookback - collection_interval
//
// and announces every newer one. The previous leader renewed the Lease last at or before it
// stopped; this collector saw that renewal within about two retry periods (client-go waits
// up to 1.2 retry_period between tries), took the Lease once it had not changed for
// lease_duration, at its next try. So the previous leader worked until at least
// takeover - lease_duration - 5 retry_period, and its last scan was at most one interval
// before it stopped: with takeover_lookback >= lease_duration + 5 retry_period every message
// it could have missed is announced. The repeats are the messages it announced that entered
// in the window: those of its last interval, plus what the lookback's margin over the actual
// gap covers. Under start_at: beginning every message present is announced at each takeover;
// needs_attention acts as end, announcing nothing as found at start (see foundAtStart).
func (r *backboneReceiver) followElector(host component.Host) error {
	ext, ok := host.GetExtensions()[*r.cfg.LeaderElector]
	if !ok {
		return fmt.Errorf("k8s_leader_elector extension %q not found: add it to the collector's extensions", r.cfg.LeaderElector)
	}
	elector, ok := ext.(leaderElector)
	if !ok {
		return fmt.Errorf("extension %q is not a k8s_leader_elector extension", r.cfg.LeaderElector)
	}
	elector.SetCallBackFuncs(r.startLeading, r.stopLeading)
	return nil
}

// startLeading starts a term: the loop, once the previous term's loop has ended, from a
// fresh tracker whose baseline takes the messages that entered before the cutoff as
// announced.
func (r *backboneReceiver) startLeading(context.Context) {
	r.leading.Lock()
	defer r.leading.Unlock()
	if r.stopped {
		return
	}
	if r.cancel != nil {
		r.cancel() // a term the elector did not end: the new one replaces it
	}
	cutoff := time.Now().Add(-r.cfg.TakeoverLookback - r.cfg.CollectionInterval)
	r.logger.Info("This collector holds the Lease: the receiver starts",
		zap.Time("announces_messages_entered_after", cutoff))
	r.startLoop(func() {
		if r.events != nil {
			r.events.takeOver(cutoff)
		}
	})
}

// stopLeading ends the term: the loop stops at once, a reading or a delivery in flight
// cut short. It does not wait: the next term waits for this loop to end.
func (r *backboneReceiver) stopLeading() {
	r.leading.Lock()
	defer r.leading.Unlock()
	if r.cancel != nil {
		r.cancel()
	}
	if !r.stopped {
		r.logger.Info("This collector no longer holds the Lease: the receiver stops until it leads again")
	}
}

// takeOver replaces the tracker with a fresh one for a new term; unless start_at is
// beginning, its baseline takes only the messages that entered at or before cutoff as
// announced. A request the previous term left unanswered stays in flight, so that no
// second call of the consumer starts, but its answer no longer counts for any event.
func (e *eventsOutput) takeOver(cutoff time.Time) {
	e.tracker = newTracker(e.cfg)
	e.baselineCutoff = cutoff
	e.inFlight = nil
}

// enteredBy returns the messages that entered their folder at or before cutoff; all of them
// when cutoff is zero.
func enteredBy(msgs []msgtrack.Message, cutoff time.Time) []msgtrack.Message {
	if cutoff.IsZero() {
		return msgs
	}
	var out []msgtrack.Message
	for _, m := range msgs {
		if !m.Entered.After(cutoff) {
			out = append(out, m)
		}
	}
	return out
}
