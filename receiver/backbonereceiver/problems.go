package backbonereceiver

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/backboneapi"
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
		// Each failed login is news (the lockout back-off grows); each new Retry-After of a
		// lasting rate limit or restart is not.
		kind := backboneapi.KindOf(snap.api.err)
		state := string(kind)
		if at := retryAt(snap.api.err); !at.IsZero() && kind == backboneapi.KindAuth {
			state += " until " + at.Format(time.RFC3339)
		}
		out["api"] = problem{state: state, message: "Backbone API: " + snap.api.err.Error()}
	}
	if snap.api != nil {
		apiProblems(snap.api, out)
	}
	if snap.tree != nil {
		for _, p := range snap.tree.Problems {
			out["directory:"+p.Path] = problem{state: string(p.Kind), message: "Backbone folder tree: " + p.String()}
		}
	}
	return out
}

// apiProblems adds what the API left out while the list was read: an integration whose
// status failed, a project key that matches nothing, fields whose type changed.
func apiProblems(api *apiSnapshot, out map[string]problem) {
	// One line per kind of failure, however many integrations it hits: a timeout or a rate
	// limit may leave hundreds unread.
	byKind := map[backboneapi.ErrorKind][]string{}
	for _, key := range slices.Sorted(maps.Keys(api.statusErrs)) {
		kind := backboneapi.KindOf(api.statusErrs[key])
		byKind[kind] = append(byKind[kind], key)
	}
	for kind, keys := range byKind {
		what := "integration " + keys[0] + " could not be read, so its state is"
		if len(keys) > 1 {
			what = fmt.Sprintf("%d integrations (%s) could not be read, so their state is", len(keys), listSome(keys, 5))
		}
		out["api status:"+string(kind)] = problem{
			state:   string(kind),
			message: fmt.Sprintf("Backbone API: the status of %s reported as unknown; the other integrations are reported: %v", what, api.statusErrs[keys[0]]),
		}
	}
	if len(api.staleErrs) > 0 {
		keys := slices.Sorted(maps.Keys(api.staleErrs))
		out["api status kept"] = problem{
			state: "kept",
			message: fmt.Sprintf("Backbone API: the status of %d integration(s) (%s) could not be read this interval, so the last known state is reported, its age in backbone.integration.status.age, for status_stale_after at most: %v",
				len(keys), listSome(keys, 5), api.staleErrs[keys[0]]),
		}
	}
	for key, err := range api.unknownProjects {
		why := fmt.Sprintf("Jira lists no integration of project %q", key)
		if err != nil {
			why = err.Error()
		}
		out["project_keys:"+key] = problem{
			state:   "matches nothing",
			message: fmt.Sprintf("Backbone API: project_keys entry %q matches nothing (%s); the other keys are reported", key, why),
		}
	}
	for _, it := range api.integrations {
		if len(it.Unread) == 0 {
			continue
		}
		fields := strings.Join(slices.Sorted(slices.Values(it.Unread)), ", ")
		out["api fields:"+it.IntegrationKey] = problem{
			state:   fields,
			message: fmt.Sprintf("Backbone API: integration %s: fields left out because their type is not the one expected: %s; the rest of the integration is reported (Backbone may have changed its API: tell this receiver's maintainers, with Backbone's version)", it.IntegrationKey, fields),
		}
	}
}

// listSome joins the first n keys, saying how many more there are.
func listSome(keys []string, n int) string {
	if len(keys) <= n {
		return strings.Join(keys, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(keys[:n], ", "), len(keys)-n)
}

func retryAt(err error) time.Time {
	if apiErr, ok := errors.AsType[*backboneapi.Error](err); ok {
		return apiErr.RetryAt
	}
	return time.Time{}
}
