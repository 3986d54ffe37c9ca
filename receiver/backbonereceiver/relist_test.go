package backbonereceiver

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.uber.org/zap"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// newIssuesTree returns a tree whose error/ of AP-29 holds 20 issue folders of 5 messages,
// and a step scraper whose first tick took them as seen (start_at: end), with the watched
// error/ folder.
func newIssuesTree(t *testing.T, cfg func(*Config)) (string, *stepScraper, queuetree.Watched) {
	t.Helper()
	root := newWatchedTree(t)
	for i := 1; i <= 20; i++ {
		for j := range 5 {
			putMessageFile(t, root, fmt.Sprintf("%serror/AP-%d/%06d.bac", ap29Recv, i, j), 1, eventsMTime)
		}
	}
	c := newEventsConfig(root, noTick)
	if cfg != nil {
		cfg(c)
	}
	s := newStepScraper(t, c, componenttest.NewNopHost())
	snap := s.r.tick(t.Context(), stepDue())
	for _, wf := range queuetree.WatchedFolders(snap.tree, func(f queuetree.Folder) bool { return f == queuetree.Error }) {
		if wf.ConnectorKey == "AP-29" {
			return root, s, wf
		}
	}
	t.Fatal("no error/ of AP-29")
	return "", nil, queuetree.Watched{}
}

// records runs fn and returns the records it offered.
func (s *stepScraper) records(t *testing.T, root string, fn func()) []string {
	t.Helper()
	before := s.next.offeredCount()
	fn()
	ld, err := s.next.offeredSince(before)
	require.NoError(t, err)
	return briefRecords(root, ld)
}

// TestRelistIssueFolders checks a re-list of some issue folders of error/ among many: what
// changed there is reported, messages in the other issue folders are neither resolved nor
// announced again, and an issue folder that cannot be read resolves nothing.
func TestRelistIssueFolders(t *testing.T) {
	const (
		added   = ap29Recv + "error/AP-7/000009.bac"
		removed = ap29Recv + "error/AP-8/000001.bac"
	)
	root, s, errs := newIssuesTree(t, nil)
	putMessageFile(t, root, added, 1, eventsMTime)
	removeMessageFile(t, root, removed)
	unreadable := filepath.Join(root, filepath.FromSlash(ap29Recv+"error/AP-9"))
	require.NoError(t, os.RemoveAll(unreadable))
	require.NoError(t, os.Symlink("AP-1", unreadable))

	relist := []queuetree.Watched{errs.IssueFolder("AP-7"), errs.IssueFolder("AP-9")}
	assert.Equal(t, []string{"backbone.message.error ERROR " + added}, s.records(t, root, func() {
		s.r.relist(t.Context(), relist, false, stepDue())
	}), "AP-8 was not re-listed; AP-9 is a symbolic link, not followed")
	assert.Equal(t, []string{"backbone.message.resolved INFO " + removed}, s.records(t, root, func() {
		s.r.tick(t.Context(), stepDue())
	}), "the full scan finds what the re-list did not look at, and repeats nothing")
}

// TestPollListsWhatChanged checks the poll through the receiver: a folder unchanged since
// the previous poll is not listed, one changed is, alone, and its new message reported.
func TestPollListsWhatChanged(t *testing.T) {
	const added = ap29Recv + "error/AP-7/000009.bac"
	root, s, _ := newIssuesTree(t, func(c *Config) { c.EventsNotify = false })
	w := newFolderWatch(s.r.cfg, zap.NewNop())
	w.update(s.r.tick(t.Context(), stepDue()).tree)
	folders := w.pollFolders()
	require.Len(t, folders, 6, "error/, sequence-error/ and SEND/error/ of two connectors")

	_, listed := s.r.reader.relist(t.Context(), folders, true)
	assert.Len(t, listed, len(folders), "the first poll lists everything")
	putMessageFile(t, root, added, 1, eventsMTime)
	assert.Equal(t, []string{"backbone.message.error ERROR " + added}, s.records(t, root, func() {
		s.r.relist(t.Context(), folders, true, stepDue())
	}))
	// The folders were modified just now: the next poll cannot trust their times, which may
	// not have moved with a change in the same tick, and lists them again, to no news.
	assert.Empty(t, s.records(t, root, func() { s.r.relist(t.Context(), folders, true, stepDue()) }))
}
