package backbonesim

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPutMessage(t *testing.T) {
	tests := []struct {
		desc        string
		integration string
		connector   string
		folder      string
		issue       string
		want        string // path relative to Dir
	}{
		{desc: "receive", integration: "INT-16", connector: "AP-29", folder: FolderReceive, want: "default/INT-16/AP-29/RECEIVE/000001.bac"},
		{desc: "archive", integration: "INT-16", connector: "PB-30", folder: FolderArchive, want: "default/INT-16/PB-30/RECEIVE/archive/000001.bac"},
		{desc: "error", integration: "INT-16", connector: "AP-29", folder: FolderError, issue: "AP-123", want: "default/INT-16/AP-29/RECEIVE/error/AP-123/000001.bac"},
		{desc: "issue missing", integration: "INT-16", connector: "AP-29", folder: FolderIssueMissing, issue: "AP-7", want: "default/INT-16/AP-29/RECEIVE/issue-missing/AP-7/000001.bac"},
		{desc: "issue missing, hyphenated", integration: "INT-16", connector: "AP-29", folder: "issue-missing", issue: "AP-7", want: "default/INT-16/AP-29/RECEIVE/issue-missing/AP-7/000001.bac"},
		{desc: "sequence error", integration: "INT-17", connector: "SSD-38", folder: FolderSequenceError, want: "default/INT-17/SSD-38/RECEIVE/sequence-error/000001.bac"},
		{desc: "offline", integration: "INT-15", connector: "SP-28", folder: FolderOffline, want: "default/INT-15/SP-28/RECEIVE/offline/000001.bac"},
		{desc: "invalid is not a .bac file", integration: "INT-15", connector: "SP-28", folder: FolderInvalid, want: "default/INT-15/SP-28/RECEIVE/invalid/000001.bac.part"},
		{desc: "discard", integration: "INT-15", connector: "SP-28", folder: FolderDiscard, want: "default/INT-15/SP-28/RECEIVE/discard/000001.bac"},
		{desc: "send", integration: "INT-15", connector: "SP-28", folder: FolderSend, want: "default/INT-15/SP-28/SEND/000001.bac"},
		{desc: "send error", integration: "INT-16", connector: "PB-30", folder: FolderSendError, want: "default/INT-16/PB-30/SEND/error/000001.bac"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newSim(t, Options{})
			path, err := s.PutMessage(tt.integration, tt.connector, tt.folder, tt.issue)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(s.Dir(), filepath.FromSlash(tt.want)), path)
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.GreaterOrEqual(t, len(data), 128)
			assert.LessOrEqual(t, len(data), 2048)
			tmp, err := os.ReadDir(filepath.Join(s.Dir(), tmpDirName))
			require.NoError(t, err)
			assert.Empty(t, tmp, "nothing left behind")
		})
	}
}

// Messages are numbered by the sending side: a connector's SEND and its partner's
// RECEIVE share one sequence.
func TestPutMessageSequences(t *testing.T) {
	s := newSim(t, Options{})
	var names []string
	for _, step := range []struct{ connector, folder string }{
		{"AP-29", FolderSend}, {"PB-30", FolderReceive}, {"AP-29", FolderSend}, {"AP-29", FolderReceive}, {"PB-30", FolderArchive},
	} {
		path, err := s.PutMessage("INT-16", step.connector, step.folder, "")
		require.NoError(t, err)
		names = append(names, filepath.Base(path))
	}
	assert.Equal(t, []string{"000001.bac", "000002.bac", "000003.bac", "000001.bac", "000004.bac"}, names)
}

func TestPutMessageRejects(t *testing.T) {
	tests := []struct {
		desc                   string
		integration, connector string
		folder, issue          string
		want                   string
	}{
		{desc: "unknown integration", integration: "INT-99", connector: "AP-29", folder: FolderReceive, want: "unknown integration"},
		{desc: "connector of another integration", integration: "INT-15", connector: "AP-29", folder: FolderReceive, want: "has no connector"},
		{desc: "unknown folder", integration: "INT-16", connector: "AP-29", folder: "outbox", want: "unknown folder"},
		{desc: "error without issue", integration: "INT-16", connector: "AP-29", folder: FolderError, want: "needs a valid issue"},
		{desc: "issue with a path", integration: "INT-16", connector: "AP-29", folder: FolderError, issue: "../AP-1", want: "needs a valid issue"},
		{desc: "issue where none belongs", integration: "INT-16", connector: "AP-29", folder: FolderArchive, issue: "AP-1", want: "has no issue folders"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newSim(t, Options{})
			_, err := s.PutMessage(tt.integration, tt.connector, tt.folder, tt.issue)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

// Issue folders live as long as they hold messages, and issuesInError counts them.
func TestIssueFoldersFollowMessages(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	issuesInError := func() any {
		return connectorStatus(t, t.Context(), base, "INT-16", false)["issuesInError"]
	}
	errorDir := filepath.Join(s.Dir(), "default", "INT-16", "AP-29", "RECEIVE", "error")

	first, err := s.PutMessage("INT-16", "AP-29", FolderError, "AP-1")
	require.NoError(t, err)
	second, err := s.PutMessage("INT-16", "AP-29", FolderError, "AP-1")
	require.NoError(t, err)
	other, err := s.PutMessage("INT-16", "AP-29", FolderError, "AP-2")
	require.NoError(t, err)
	assert.EqualValues(t, 2, issuesInError())
	assert.EqualValues(t, 0, connectorStatus(t, t.Context(), base, "INT-16", true)["issuesInError"], "PB-30 is fine")

	moved, err := s.MoveMessage(first, FolderArchive, "")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(s.Dir(), "default", "INT-16", "AP-29", "RECEIVE", "archive", filepath.Base(first)), moved)
	assert.FileExists(t, moved)
	assert.DirExists(t, filepath.Join(errorDir, "AP-1"), "still holds a message")
	assert.EqualValues(t, 2, issuesInError())

	_, err = s.MoveMessage(second, FolderArchive, "")
	require.NoError(t, err)
	assert.NoDirExists(t, filepath.Join(errorDir, "AP-1"), "emptied issue folder goes")
	assert.EqualValues(t, 1, issuesInError())

	require.NoError(t, s.RemoveMessage(other))
	assert.NoDirExists(t, filepath.Join(errorDir, "AP-2"))
	assert.DirExists(t, errorDir, "the error folder itself stays")
	assert.EqualValues(t, 0, issuesInError())

	snap := s.Snapshot()
	assert.Equal(t, 2, snap.Integrations[0].Connectors[0].Files[FolderArchive])
	assert.Equal(t, 0, snap.Integrations[0].Connectors[0].Files[FolderError])
}

func TestMoveMessageBetweenIssueFolders(t *testing.T) {
	s := newSim(t, Options{})
	path, err := s.PutMessage("INT-16", "PB-30", FolderIssueMissing, "PB-9")
	require.NoError(t, err)
	moved, err := s.MoveMessage(path, FolderError, "PB-9")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(s.Dir(), "default", "INT-16", "PB-30", "RECEIVE", "error", "PB-9", filepath.Base(path)), moved)
	assert.NoDirExists(t, filepath.Dir(path))

	same, err := s.MoveMessage(moved, FolderError, "PB-9")
	require.NoError(t, err)
	assert.Equal(t, moved, same)
}

func TestMoveAndRemoveReject(t *testing.T) {
	s := newSim(t, Options{})
	path, err := s.PutMessage("INT-16", "AP-29", FolderReceive, "")
	require.NoError(t, err)
	outside := filepath.Join(t.TempDir(), "x.bac")
	require.NoError(t, os.WriteFile(outside, []byte("x"), 0o600))

	tests := []struct {
		desc string
		path string
		to   string
		want string
	}{
		{desc: "outside the tree", path: outside, to: FolderArchive, want: "not a message of the tree"},
		{desc: "missing file", path: filepath.Join(filepath.Dir(path), "999999.bac"), to: FolderArchive, want: "no such file"},
		{desc: "a folder", path: filepath.Join(filepath.Dir(path), "archive"), to: FolderArchive, want: "not a file"},
		{desc: "unknown folder", path: path, to: "nowhere", want: "unknown folder"},
		{desc: "error without issue", path: path, to: FolderError, want: "needs a valid issue"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := s.MoveMessage(tt.path, tt.to, "")
			assert.ErrorContains(t, err, tt.want)
		})
	}
	assert.ErrorContains(t, s.RemoveMessage(outside), "not a message of the tree")
	assert.FileExists(t, path)
}

func TestMoveMessageNeverOverwrites(t *testing.T) {
	s := newSim(t, Options{})
	path, err := s.PutMessage("INT-16", "AP-29", FolderReceive, "")
	require.NoError(t, err)
	clash := filepath.Join(s.Dir(), "default", "INT-16", "AP-29", "RECEIVE", "archive", filepath.Base(path))
	require.NoError(t, os.WriteFile(clash, []byte("old"), 0o600))
	_, err = s.MoveMessage(path, FolderArchive, "")
	assert.ErrorContains(t, err, "already exists")
	assert.FileExists(t, path)
}
