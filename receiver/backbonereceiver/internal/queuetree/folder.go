package queuetree

import "strings"

// Folder names one of the message folders of a connector.
type Folder string

// The message folders of a connector; layout says where each one lies.
const (
	Receive       Folder = "receive"
	Archive       Folder = "archive"
	Error         Folder = "error"
	IssueMissing  Folder = "issue_missing"
	SequenceError Folder = "sequence_error"
	Offline       Folder = "offline"
	Invalid       Folder = "invalid"
	Discard       Folder = "discard"
	Send          Folder = "send"
	SendError     Folder = "send_error"
)

// NumFolders is the number of message folders, usable as an array length.
const NumFolders = 10

// Names of the top folders of a connector on disk.
const (
	receiveDir = "RECEIVE"
	sendDir    = "SEND"
)

// layout describes each message folder: where it lies below the connector folder, whether
// it holds one subfolder per issue, and whether its files are listed one by one because a
// new one needs an administrator (the receiver turns them into events). Adding a folder
// is one row here, plus its value in metadata.yaml's backbone.folder enum and, for a
// watched one, its event. Connector.Folders is indexed in this order.
var layout = [NumFolders]struct {
	folder  Folder
	dir     string // with forward slashes; a top folder or one of its subfolders
	issues  bool
	watched bool
}{
	{folder: Receive, dir: receiveDir},
	{folder: Archive, dir: receiveDir + "/archive"},
	{folder: Error, dir: receiveDir + "/error", issues: true, watched: true},
	{folder: IssueMissing, dir: receiveDir + "/issue-missing", issues: true, watched: true},
	{folder: SequenceError, dir: receiveDir + "/sequence-error", watched: true},
	{folder: Offline, dir: receiveDir + "/offline", watched: true},
	{folder: Invalid, dir: receiveDir + "/invalid", watched: true},
	{folder: Discard, dir: receiveDir + "/discard"},
	{folder: Send, dir: sendDir},
	{folder: SendError, dir: sendDir + "/error", watched: true},
}

// Folders lists every folder, in the order of layout.
var Folders = func() []Folder {
	out := make([]Folder, NumFolders)
	for i, l := range layout {
		out[i] = l.folder
	}
	return out
}()

// subfoldersOf maps the names of the known subfolders of a top folder (RECEIVE or SEND)
// to their Folder.
func subfoldersOf(top string) map[string]Folder {
	out := map[string]Folder{}
	for _, l := range layout {
		if name, ok := strings.CutPrefix(l.dir, top+"/"); ok {
			out[name] = l.folder
		}
	}
	return out
}

// Watched reports whether a new file in f needs an administrator, so that its
// files are listed one by one (Files) for the receiver to turn into events.
func (f Folder) Watched() bool {
	i := f.index()
	return i >= 0 && layout[i].watched
}

// HasIssues reports whether f holds one subfolder per issue rather than the
// messages themselves.
func (f Folder) HasIssues() bool {
	i := f.index()
	return i >= 0 && layout[i].issues
}

// Dir returns the folder's path below the connector folder, with forward
// slashes, e.g. "RECEIVE/issue-missing"; "" for an unknown folder.
func (f Folder) Dir() string {
	if i := f.index(); i >= 0 {
		return layout[i].dir
	}
	return ""
}

// index returns f's position in layout, or -1.
func (f Folder) index() int {
	for i, l := range layout {
		if l.folder == f {
			return i
		}
	}
	return -1
}
