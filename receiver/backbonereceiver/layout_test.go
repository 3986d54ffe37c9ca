package backbonereceiver

import (
	"os"
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

// TestLayoutDrift changes Backbone's folder layout under a running receiver, as an upgrade
// would: a folder it does not know appears in every connector, and a known folder is
// renamed in every connector that had it. Each is logged once, by name, however many
// connectors and intervals; a folder that goes with its connector, or that never was
// there, is no drift.
func TestLayoutDrift(t *testing.T) {
	root := newEventsTree(t)
	writeFiles(t, root, map[string]string{
		ap29Recv + "sequence-error/000001.bac":                  "held",
		"default/INT-16/PB-30/RECEIVE/sequence-error/":          "",
		"default/INT-15/SP-28/RECEIVE/discard/000002.bac":       "only this connector has discard/",
		"default/INT-15/SP-28/SEND/":                            "",
		"default/INT-16/PB-30/RECEIVE/error/PB-1/000003.bac":    "failed",
		"default/INT-16/AP-29/RECEIVE/error/AP-1/000004.bac":    "failed",
		"default/INT-16/PB-30/RECEIVE/000005.bac":               "new",
		"default/INT-16/AP-29/RECEIVE/archive/000006.bac":       "done",
		"default/INT-16/PB-30/RECEIVE/archive/000007.bac":       "done",
		"default/INT-16/AP-29/SEND/error/000008.bac":            "unsent",
		"default/INT-16/PB-30/SEND/error/":                      "",
		"default/INT-16/AP-29/RECEIVE/issue-missing/AP-2/9.bac": "waits",
	})
	cfg := newTestConfig("", root)
	h := startHarness(t, cfg)
	unknown := func() []string { return h.warnings("is none of the folders Backbone is known to keep there") }
	gone := func() []string { return h.warnings("is gone from every connector folder") }
	// named lists the folder each line of the folder tree is about, in the order logged.
	named := func() []string {
		var out []string
		for _, w := range h.warnings("Backbone folder tree: ") {
			out = append(out, strings.Fields(strings.TrimPrefix(w, "Backbone folder tree: "))[0])
		}
		return out
	}
	scrapes := func() {
		for range faultScrapes {
			h.scrape(t)
		}
	}
	scrapes()
	require.Empty(t, h.warnings("Backbone folder tree"), "the folders Backbone made lazily are no drift")

	// The connector that alone had discard/ goes away with its integration.
	require.NoError(t, os.RemoveAll(filepath.Join(root, "default", "INT-15")))
	scrapes()
	assert.Empty(t, h.warnings("Backbone folder tree"), "a folder gone with its connector is no drift")

	// An upgrade adds RECEIVE/retry to every connector.
	writeFiles(t, root, map[string]string{
		ap29Recv + "retry/000010.bac":                  "not counted",
		"default/INT-16/PB-30/RECEIVE/retry/":          "",
		"default/INT-16/PB-30/RECEIVE/retry/x/y/z.bac": "deeper",
	})
	scrapes()
	require.Len(t, unknown(), 1, "one line for the new folder, however many connectors and intervals: %q", unknown())
	assert.Contains(t, unknown()[0], "RECEIVE/retry is none of the folders Backbone is known to keep there, found in 2 connector folder(s)")
	assert.Contains(t, unknown()[0], "its files are not counted")

	// An upgrade renames RECEIVE/sequence-error in every connector.
	for _, c := range []string{"AP-29", "PB-30"} {
		recv := filepath.Join(root, "default", "INT-16", c, "RECEIVE")
		require.NoError(t, os.Rename(filepath.Join(recv, "sequence-error"), filepath.Join(recv, "sequence_errors")))
	}
	scrapes()
	assert.Equal(t, []string{"RECEIVE/retry", "RECEIVE/sequence-error", "RECEIVE/sequence_errors"}, named(), "one line each, once")
	require.Len(t, gone(), 1)
	assert.Contains(t, gone()[0], "RECEIVE/sequence-error is gone from every connector folder, though 2 that had it earlier are still there")

	// Renamed back: both clear, once.
	for _, c := range []string{"AP-29", "PB-30"} {
		recv := filepath.Join(root, "default", "INT-16", c, "RECEIVE")
		require.NoError(t, os.Rename(filepath.Join(recv, "sequence_errors"), filepath.Join(recv, "sequence-error")))
	}
	scrapes()
	assert.Equal(t, 1, h.resolved("Backbone folder tree: RECEIVE/sequence-error is gone"))
	assert.Equal(t, 1, h.resolved("Backbone folder tree: RECEIVE/sequence_errors is none"))
	assert.Len(t, named(), 3, "nothing more")
}

// TestLayoutDriftNeedsReadableConnectors checks that a known folder is not reported gone
// while a connector that had it cannot be read: the folder may be there still.
func TestLayoutDriftNeedsReadableConnectors(t *testing.T) {
	root := newEventsTree(t)
	writeFiles(t, root, map[string]string{
		ap29Recv + "sequence-error/":                   "",
		"default/INT-16/PB-30/RECEIVE/sequence-error/": "",
	})
	h := startHarness(t, newTestConfig("", root))
	gone := func() []string { return h.warnings("is gone from every connector folder") }
	h.scrape(t)

	// PB-30 loses the folder, and AP-29's RECEIVE cannot be read: a file stands in its place.
	require.NoError(t, os.Remove(filepath.Join(root, filepath.FromSlash("default/INT-16/PB-30/RECEIVE/sequence-error"))))
	recv := filepath.Join(root, filepath.FromSlash(ap29Recv))
	require.NoError(t, os.Rename(recv, recv+".moved"))
	require.NoError(t, os.WriteFile(recv, []byte("not a folder"), 0o644))
	h.scrape(t)
	assert.Len(t, h.warnings("is a file where Backbone expects a folder"), 1)
	assert.Empty(t, gone(), "AP-29 may still have it")

	// AP-29's RECEIVE is back, without the folder: now it is gone from both.
	require.NoError(t, os.Remove(recv))
	require.NoError(t, os.Rename(recv+".moved", recv))
	require.NoError(t, os.Remove(filepath.Join(recv, "sequence-error")))
	h.scrape(t)
	require.Len(t, gone(), 1)
	assert.Contains(t, gone()[0], "RECEIVE/sequence-error is gone from every connector folder, though 2 that had it earlier")
}
