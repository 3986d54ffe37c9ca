package backbonereceiver

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
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
	layout layoutDrift
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

// of lists the problems of a snapshot, keyed by what they concern, with the changes of
// Backbone's folder layout that its scan shows against the earlier scans of this run.
func (l *problemLog) of(snap *snapshot) map[string]problem {
	out := problemsOf(snap)
	if snap.tree != nil {
		l.layout.check(snap.tree, out)
	}
	return out
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
	if !snap.scanStuck.IsZero() {
		out["directory"] = problem{state: "not answering", message: "Backbone folder tree: a folder listing started at " +
			snap.scanStuck.UTC().Format(time.RFC3339) + " has not returned within scan_timeout (a network share that does not answer?): " +
			"backbone.folder.* metrics and message events wait, and no other listing starts, until it returns"}
	}
	if snap.tree != nil {
		treeProblems(snap.tree.Problems, out)
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

// treeProblems adds what the scan could not read as expected, each part of the tree on
// its own, except the folders the layout does not know: one problem per name (such as
// RECEIVE/retry), however many connectors have it, since an upgrade of Backbone that adds
// or renames a folder does so in every connector.
func treeProblems(problems []queuetree.Problem, out map[string]problem) {
	unknown := map[string][]string{} // paths by name below the connector
	for _, p := range problems {
		if p.Kind == queuetree.UnknownFolder {
			name := filepath.Base(filepath.Dir(p.Path)) + "/" + filepath.Base(p.Path)
			unknown[name] = append(unknown[name], p.Path)
			continue
		}
		out["directory:"+p.Path] = problem{state: string(p.Kind), message: "Backbone folder tree: " + p.String()}
	}
	for name, paths := range unknown {
		out["layout:"+name] = problem{
			state: string(queuetree.UnknownFolder),
			message: fmt.Sprintf("Backbone folder tree: %s is none of the folders Backbone is known to keep there, found in %d connector folder(s), e.g. %s: "+
				"its files are not counted. If Backbone was upgraded, its layout may have changed: tell this receiver's maintainers, with Backbone's version.",
				name, len(paths), paths[0]),
		}
	}
}

// layoutDrift remembers, for each known folder, the connectors that had it at the latest
// scan that found it in any, to report a folder gone from all of them while they are still
// there: what an upgrade of Backbone that renames or moves it looks like. Backbone creates
// most folders only when it first needs one, so a folder never seen proves nothing.
type layoutDrift struct {
	had map[queuetree.Folder][]string // connector paths
}

// check adds to out each known folder that tree shows gone. A part of the tree the scan
// could not read may hide a folder: a connector with such a part proves nothing, and a
// scan that could not read above the connectors (the root, a namespace or integration
// folder) proves nothing at all.
func (d *layoutDrift) check(tree *queuetree.Tree, out map[string]problem) {
	present := make(map[string]bool, len(tree.Connectors))
	for i := range tree.Connectors {
		present[tree.Connectors[i].Path] = true
	}
	troubled := map[string]bool{}
	for _, p := range tree.Problems {
		if !p.Kind.Unreadable() {
			continue
		}
		c, ok := connectorOf(p.Path, present)
		if !ok {
			return
		}
		troubled[c] = true
	}
	if d.had == nil {
		d.had = map[queuetree.Folder][]string{}
	}
	for _, f := range queuetree.Folders {
		var have []string
		for i := range tree.Connectors {
			if c := &tree.Connectors[i]; c.Folder(f).Exists {
				have = append(have, c.Path)
			}
		}
		if len(have) > 0 {
			d.had[f] = have
			continue
		}
		still, unsure := 0, false
		for _, path := range d.had[f] {
			if present[path] {
				still++
			}
			unsure = unsure || troubled[path]
		}
		if still > 0 && !unsure {
			out["layout:"+f.Dir()] = problem{
				state: "gone",
				message: fmt.Sprintf("Backbone folder tree: %s is gone from every connector folder, though %d that had it earlier are still there: "+
					"if Backbone was upgraded, it may have renamed or moved it, and its messages are no longer counted; tell this receiver's maintainers, with Backbone's version.",
					f.Dir(), still),
			}
		}
	}
}

// connectorOf returns the connector folder among present that path lies in, if any.
func connectorOf(path string, present map[string]bool) (string, bool) {
	for dir := path; ; dir = filepath.Dir(dir) {
		if present[dir] {
			return dir, true
		}
		if dir == filepath.Dir(dir) {
			return "", false
		}
	}
}
