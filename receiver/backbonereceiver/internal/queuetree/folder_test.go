package queuetree

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFolders(t *testing.T) {
	assert.Len(t, Folders, NumFolders)
	tests := []struct {
		desc      string
		folder    Folder
		dir       string
		watched   bool
		hasIssues bool
	}{
		{desc: "receive", folder: Receive, dir: "RECEIVE"},
		{desc: "archive", folder: Archive, dir: "RECEIVE/archive"},
		{desc: "error", folder: Error, dir: "RECEIVE/error", watched: true, hasIssues: true},
		{desc: "issue_missing", folder: IssueMissing, dir: "RECEIVE/issue-missing", watched: true, hasIssues: true},
		{desc: "sequence_error", folder: SequenceError, dir: "RECEIVE/sequence-error", watched: true},
		{desc: "offline", folder: Offline, dir: "RECEIVE/offline", watched: true},
		{desc: "invalid", folder: Invalid, dir: "RECEIVE/invalid", watched: true},
		{desc: "discard", folder: Discard, dir: "RECEIVE/discard"},
		{desc: "send", folder: Send, dir: "SEND"},
		{desc: "send_error", folder: SendError, dir: "SEND/error", watched: true},
	}
	for i, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, tt.folder, Folders[i], "order of Folders")
			assert.Equal(t, tt.dir, tt.folder.Dir())
			assert.Equal(t, tt.watched, tt.folder.Watched())
			assert.Equal(t, tt.hasIssues, tt.folder.HasIssues())
			var c Connector
			c.Folders[i].Messages = 42
			assert.EqualValues(t, 42, c.Folder(tt.folder).Messages)
		})
	}
	var c Connector
	assert.Nil(t, c.Folder("unknown"))
	assert.Empty(t, Folder("unknown").Dir())
}
