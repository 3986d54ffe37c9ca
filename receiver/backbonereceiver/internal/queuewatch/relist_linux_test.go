//go:build linux

package queuewatch_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/latency"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/msgtrack"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuewatch"
)

// TestWatchRelistObserve runs the pieces as the receiver's loop chains
// them: a full scan sets the watched folders, each change re-lists just the
// changed folders, and the tracker observes that re-list. Every file gives
// one appeared and one resolved event, whether it is created, moved to
// another issue or removed, and nothing elsewhere is resolved.
func TestWatchRelistObserve(t *testing.T) {
	root := t.TempDir()
	conn := filepath.Join(root, "default", "INT-1", "AP-1")
	other := filepath.Join(root, "default", "INT-2", "BP-2", "SEND", "error", "stays.bac")
	for _, d := range []string{"RECEIVE/error/AP-7", "RECEIVE/archive", "SEND/error"} {
		require.NoError(t, os.MkdirAll(filepath.Join(conn, d), 0o755))
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(other), 0o755))
	require.NoError(t, os.WriteFile(other, []byte("m"), 0o644))

	enabled := func(f queuetree.Folder) bool {
		return f == queuetree.Error || f == queuetree.SendError
	}
	scanner := queuetree.NewScanner(queuetree.Options{Root: root})
	tracker := msgtrack.New(0)
	full := scanner.Scan(t.Context())
	tracker.ObserveMessages(time.Now(), messages(full, enabled), nil)
	watched := map[string]queuetree.Watched{}
	var folders []queuewatch.Folder
	for _, wf := range queuetree.WatchedFolders(full, enabled) {
		watched[wf.Path()] = wf
		folders = append(folders, queuewatch.Folder{Path: wf.Path(), Issues: wf.Folder.HasIssues()})
	}
	w := queuewatch.New(queuewatch.Options{})
	defer w.Close()
	w.Set(folders)

	var events []string
	// settle handles changes until the tracker gave the events of want, in
	// any order: changes of two folders may come in one batch or two.
	settle := func(want []string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for !slices.Equal(slices.Sorted(slices.Values(events)), slices.Sorted(slices.Values(want))) {
			select {
			case <-w.Changed():
			case <-deadline:
				t.Fatalf("events %v, want %v", events, want)
			}
			relist, scope := relistOf(w.Take(), watched)
			began := time.Now()
			tree := scanner.ListWatched(t.Context(), relist)
			tracker.ObserveFolders(began, scope, messages(tree, enabled), nil)
			for _, ev := range tracker.Pending(0) {
				rel, err := filepath.Rel(root, ev.Message.Path)
				require.NoError(t, err)
				events = append(events, fmt.Sprintf("%s %s", ev.Kind, filepath.ToSlash(rel)))
			}
			tracker.Delivered(tracker.PendingCount())
		}
	}
	require.Equal(t, 1, tracker.PendingCount())
	tracker.Delivered(1) // stays.bac, from the full scan

	a7 := filepath.Join(conn, "RECEIVE", "error", "AP-7", "a.bac")
	require.NoError(t, os.WriteFile(a7, []byte("m"), 0o644))
	settle([]string{"appeared default/INT-1/AP-1/RECEIVE/error/AP-7/a.bac"})

	events = nil
	a8 := filepath.Join(conn, "RECEIVE", "error", "AP-8", "a.bac")
	require.NoError(t, os.Mkdir(filepath.Dir(a8), 0o755))
	require.NoError(t, os.Rename(a7, a8))
	settle([]string{"resolved default/INT-1/AP-1/RECEIVE/error/AP-7/a.bac", "appeared default/INT-1/AP-1/RECEIVE/error/AP-8/a.bac"})

	events = nil
	d := filepath.Join(conn, "SEND", "error", "d.bac")
	require.NoError(t, os.WriteFile(d, []byte("m"), 0o644))
	settle([]string{"appeared default/INT-1/AP-1/SEND/error/d.bac"})
	events = nil
	require.NoError(t, os.Rename(d, filepath.Join(conn, "RECEIVE", "archive", "d.bac")))
	require.NoError(t, os.Remove(a8))
	settle([]string{"resolved default/INT-1/AP-1/RECEIVE/error/AP-8/a.bac", "resolved default/INT-1/AP-1/SEND/error/d.bac"})

	tracker.ObserveMessages(time.Now(), messages(scanner.Scan(t.Context()), enabled), nil)
	assert.Empty(t, tracker.Pending(0), "the full scan agrees with the re-lists")
}

// relistOf returns what to re-list for a change, as the receiver does: the
// folders that changed as a whole and the issue subfolders, and their paths,
// the scope of the tracker's diff.
func relistOf(c queuewatch.Change, watched map[string]queuetree.Watched) ([]queuetree.Watched, []string) {
	var relist []queuetree.Watched
	var scope []string
	for _, p := range c.Folders {
		relist = append(relist, watched[p])
		scope = append(scope, p)
	}
	for _, p := range c.Issues {
		relist = append(relist, watched[filepath.Dir(p)].IssueFolder(filepath.Base(p)))
		scope = append(scope, p)
	}
	return relist, scope
}

// messages turns the files of a scan or re-list into tracker messages, as
// the receiver does.
func messages(tree *queuetree.Tree, enabled func(queuetree.Folder) bool) []msgtrack.Message {
	var out []msgtrack.Message
	for _, c := range tree.Connectors {
		for i, f := range queuetree.Folders {
			if !enabled(f) {
				continue
			}
			for _, file := range c.Folders[i].Files {
				out = append(out, msgtrack.Message{
					Integration: c.IntegrationKey, Connector: c.ConnectorKey, Folder: string(f),
					Issue: file.Issue, Name: file.Name, Path: file.Path, Size: file.Size, ModTime: file.ModTime,
				})
			}
		}
	}
	return out
}

// BenchmarkEventLatency measures the delay from a message file's creation
// to its appeared event in the tracker, through the watcher, a re-list of
// the changed folders and ObserveFolders, with 200 integrations (400
// connectors, 1,200 watched folders) watched: event-p50-ms, event-p95-ms,
// event-max-ms. The receiver's delivery comes on top.
func BenchmarkEventLatency(b *testing.B) {
	root := b.TempDir()
	for i := 1; i <= 200; i++ {
		for c := 1; c <= 2; c++ {
			conn := filepath.Join(root, "default", fmt.Sprintf("INT-%d", i), fmt.Sprintf("P%d-%d", c, i))
			for _, d := range []string{"RECEIVE/error/AP-1", "RECEIVE/sequence-error", "RECEIVE/archive", "SEND/error"} {
				if err := os.MkdirAll(filepath.Join(conn, d), 0o755); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	enabled := func(f queuetree.Folder) bool {
		return f == queuetree.Error || f == queuetree.SequenceError || f == queuetree.SendError
	}
	scanner := queuetree.NewScanner(queuetree.Options{Root: root})
	tracker := msgtrack.New(0)
	full := scanner.Scan(b.Context())
	tracker.ObserveMessages(time.Now(), messages(full, enabled), nil)
	all := queuetree.WatchedFolders(full, enabled)
	watched := map[string]queuetree.Watched{}
	var folders []queuewatch.Folder
	for _, wf := range all {
		watched[wf.Path()] = wf
		folders = append(folders, queuewatch.Folder{Path: wf.Path(), Issues: wf.Folder.HasIssues()})
	}
	w := queuewatch.New(queuewatch.Options{})
	defer w.Close()
	w.Set(folders)
	if len(folders) != 1200 || len(w.PollOnly()) > 0 {
		b.Fatalf("%d folders, %d not watched", len(folders), len(w.PollOnly()))
	}

	var samples []time.Duration
	i := 0
	for b.Loop() {
		wf := all[i%len(all)]
		dir := wf.Path()
		if wf.Folder.HasIssues() {
			dir = filepath.Join(dir, "AP-1")
		}
		start := time.Now()
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%06d.bac", i)), []byte("message"), 0o644); err != nil {
			b.Fatal(err)
		}
		for tracker.PendingCount() == 0 {
			select {
			case <-w.Changed():
			case <-time.After(time.Minute):
				b.Fatalf("no event for %s", dir)
			}
			relist, scope := relistOf(w.Take(), watched)
			began := time.Now()
			tracker.ObserveFolders(began, scope, messages(scanner.ListWatched(b.Context(), relist), enabled), nil)
		}
		samples = append(samples, time.Since(start))
		tracker.Delivered(tracker.PendingCount())
		i++
	}
	latency.Of(samples).Report(b, "event")
}
