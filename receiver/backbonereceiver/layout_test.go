package backbonereceiver

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnexpectedLayout reads a tree with layouts Backbone does not make: subfolders inside
// folders that hold their messages directly, and a message directly in error/ and
// issue-missing/ instead of an issue folder. Their files are counted (golden file) and
// reported as message events; each subfolder is logged once, however many intervals, and
// never taken for an unreadable part of the tree: its messages resolve when they leave.
func TestUnexpectedLayout(t *testing.T) {
	root := seedTree(t)
	const (
		inSequence = "default/INT-16/AP-29/RECEIVE/sequence-error/retry/000020.bac"
		inSendErr  = "default/INT-16/AP-29/SEND/error/old/000021.bac"
		inOffline  = "default/INT-16/AP-29/RECEIVE/offline/x/000022.bac"
		looseError = "default/INT-16/AP-29/RECEIVE/error/000023.bac"
	)
	writeFiles(t, root, map[string]string{
		inSequence: "moved by hand",
		inSendErr:  "unsent, filed away",
		inOffline:  "held",
		looseError: "no issue folder",
		"default/INT-16/AP-29/RECEIVE/sequence-error/retry/deeper/000024.bac": "two levels down: not counted",
	})
	cfg := newTestConfig("", root)
	cfg.CollectionInterval = time.Nanosecond
	cfg.StartAt = StartAtBeginning
	cfg.StuckAfter = 0
	enableAllEvents(cfg)
	h := startHarness(t, cfg)
	var first []string
	for i := range faultScrapes {
		md := h.scrape(t)
		if i == 0 {
			compareGolden(t, filepath.Join("testdata", "metrics", "unexpected_layout.yaml"), md)
			first = briefRecords(root, h.events.AllLogs()[0])
		}
	}
	for _, rel := range []string{inSequence, inSendErr, inOffline, looseError} {
		assert.Contains(t, first, messageEventOf(rel)+" "+rel, "a message event for %s", rel)
	}
	warnings := h.warnings("Backbone folder tree")
	require.Len(t, warnings, 3, "one line per unexpected subfolder, however many intervals: %q", warnings)
	for i, dir := range []string{"RECEIVE/offline/x", "RECEIVE/sequence-error/retry", "SEND/error/old"} {
		assert.Contains(t, warnings[i], filepath.FromSlash("default/INT-16/AP-29/"+dir)+" is a subfolder where Backbone keeps message files only")
	}

	removeMessageFile(t, root, inSequence)
	h.scrape(t)
	last := h.events.AllLogs()[len(h.events.AllLogs())-1]
	assert.Equal(t, []string{"backbone.message.resolved INFO " + inSequence}, briefRecords(root, last),
		"a subfolder is read, not unreadable: a message that leaves it is resolved")
}

// messageEventOf names the event and severity of a message at rel by its folder.
func messageEventOf(rel string) string {
	for _, c := range []struct{ part, event string }{
		{"/SEND/error/", "backbone.message.send_error ERROR"},
		{"/RECEIVE/sequence-error/", "backbone.message.sequence_error WARN"},
		{"/RECEIVE/offline/", "backbone.message.offline WARN"},
		{"/RECEIVE/error/", "backbone.message.error ERROR"},
	} {
		if strings.Contains(rel, c.part) {
			return c.event
		}
	}
	return ""
}
