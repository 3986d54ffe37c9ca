package queuetree

// Folder names one of the message folders of a connector.
type Folder string

// The message folders of a connector, as found below its RECEIVE and SEND
// folders.
const (
	Receive       Folder = "receive"        // RECEIVE/*
	Archive       Folder = "archive"        // RECEIVE/archive/*
	Error         Folder = "error"          // RECEIVE/error/<issue>/*
	IssueMissing  Folder = "issue_missing"  // RECEIVE/issue-missing/<issue>/*
	SequenceError Folder = "sequence_error" // RECEIVE/sequence-error/*
	Offline       Folder = "offline"        // RECEIVE/offline/*
	Invalid       Folder = "invalid"        // RECEIVE/invalid/*
	Discard       Folder = "discard"        // RECEIVE/discard/*
	Send          Folder = "send"           // SEND/*
	SendError     Folder = "send_error"     // SEND/error/*
)

// NumFolders is len(Folders), usable as an array length.
const NumFolders = 10

// Folders lists every folder; Connector.Folders is indexed in this order.
var Folders = []Folder{Receive, Archive, Error, IssueMissing, SequenceError, Offline, Invalid, Discard, Send, SendError}

// Names of the folders on disk.
const (
	receiveDir = "RECEIVE"
	sendDir    = "SEND"
)

// folderDirs maps each folder to its path below the connector folder.
var folderDirs = [NumFolders]string{
	receiveDir,
	receiveDir + "/archive",
	receiveDir + "/error",
	receiveDir + "/issue-missing",
	receiveDir + "/sequence-error",
	receiveDir + "/offline",
	receiveDir + "/invalid",
	receiveDir + "/discard",
	sendDir,
	sendDir + "/error",
}

// Watched reports whether a new file in f needs an administrator, so that its
// files are listed one by one (Files) for the receiver to turn into events.
func (f Folder) Watched() bool {
	switch f {
	case Error, IssueMissing, SequenceError, Offline, Invalid, SendError:
		return true
	}
	return false
}

// HasIssues reports whether f holds one subfolder per issue rather than the
// messages themselves.
func (f Folder) HasIssues() bool {
	return f == Error || f == IssueMissing
}

// Dir returns the folder's path below the connector folder, with forward
// slashes, e.g. "RECEIVE/issue-missing"; "" for an unknown folder.
func (f Folder) Dir() string {
	if i := f.index(); i >= 0 {
		return folderDirs[i]
	}
	return ""
}

// index returns f's position in Folders, or -1.
func (f Folder) index() int {
	for i, g := range Folders {
		if g == f {
			return i
		}
	}
	return -1
}
