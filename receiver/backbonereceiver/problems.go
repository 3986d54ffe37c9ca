package backbonereceiver

import (
	"errors"
	"maps"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-backbone/otelcol-backbone/internal/backboneapi"
)

// problem is one thing wrong with what the receiver reads. state tells two occurrences
// apart: the same problem in the same state is logged once, however many intervals it lasts.
type problem struct {
	state   string
	message string
}

// problemLog logs each problem when it appears or changes state, and once more when it
// clears, instead of once per interval.
type problemLog struct {
	logger *zap.Logger
	active map[string]problem
}

func newProblemLog(logger *zap.Logger) *problemLog {
	return &problemLog{logger: logger, active: map[string]problem{}}
}

func (l *problemLog) update(current map[string]problem) {
	for _, key := range slices.Sorted(maps.Keys(current)) {
		p := current[key]
		if old, ok := l.active[key]; ok && old.state == p.state {
			continue
		}
		l.logger.Warn(p.message, zap.String("problem", key))
	}
	for _, key := range slices.Sorted(maps.Keys(l.active)) {
		if _, ok := current[key]; !ok {
			l.logger.Info("resolved: "+l.active[key].message, zap.String("problem", key))
		}
	}
	l.active = current
}

// problemsOf lists the problems of a snapshot, keyed by what they concern.
func problemsOf(snap *snapshot) map[string]problem {
	out := map[string]problem{}
	if snap.api != nil && snap.api.err != nil {
		state := string(backboneapi.KindOf(snap.api.err))
		if at := retryAt(snap.api.err); !at.IsZero() {
			state += " until " + at.Format(time.RFC3339)
		}
		out["api"] = problem{state: state, message: "Backbone API: " + snap.api.err.Error()}
	}
	if snap.tree != nil {
		for _, p := range snap.tree.Problems {
			out["directory:"+p.Path] = problem{state: string(p.Kind), message: "Backbone folder tree: " + p.String()}
		}
	}
	return out
}

func retryAt(err error) time.Time {
	if apiErr, ok := errors.AsType[*backboneapi.Error](err); ok {
		return apiErr.RetryAt
	}
	return time.Time{}
}
