package queuetree

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// ProblemKind classifies what kept part of the tree from being read.
type ProblemKind string

// Kinds of problems.
const (
	RootMissing      ProblemKind = "root_missing"
	PermissionDenied ProblemKind = "permission_denied"
	NotADirectory    ProblemKind = "not_a_directory" // a file where a folder should be
	Symlink          ProblemKind = "symlink"         // a symbolic link where a folder should be; not followed
	InvalidName      ProblemKind = "invalid_name"    // not valid UTF-8; reported with U+FFFD, still counted
	ReadError        ProblemKind = "read_error"
	// UnexpectedSubfolder is a folder inside one that holds its messages
	// directly (sequence-error/, offline/, invalid/, discard/, SEND/error/);
	// its files are read and counted with that folder's.
	UnexpectedSubfolder ProblemKind = "unexpected_subfolder"
	// UnknownFolder is a folder in RECEIVE/ or SEND/ that is none of the
	// known ones: Backbone's layout may have changed (an upgrade that adds
	// or renames a folder). Its files are not counted.
	UnknownFolder ProblemKind = "unknown_folder"
)

// Unreadable tells whether a problem of this kind left part of the tree
// unread, so that what was known there must be neither resolved nor
// announced again; InvalidName and UnexpectedSubfolder are read all the
// same, and an UnknownFolder holds no message the receiver knows of.
func (k ProblemKind) Unreadable() bool {
	return k != InvalidName && k != UnexpectedSubfolder && k != UnknownFolder
}

// Problem is one part of the tree that could not be read as expected. The
// rest of the tree is still reported.
type Problem struct {
	Path string // valid UTF-8
	Kind ProblemKind
	Err  error
}

var (
	errSymlink     = errors.New("symbolic link where a folder is expected")
	errNotDir      = errors.New("file where a folder is expected")
	errInvalidName = errors.New("name is not valid UTF-8")

	errUnexpectedSubfolder = errors.New("subfolder where Backbone keeps message files only")
	errUnknownFolder       = errors.New("folder that is none of Backbone's known folders")
)

// String says what is wrong and what to do about it, in one sentence.
func (p Problem) String() string {
	switch p.Kind {
	case RootMissing:
		return fmt.Sprintf("Backbone folder %s does not exist (%v): check the configured root and that Jira's (shared) home is mounted.", p.Path, p.Err)
	case PermissionDenied:
		return fmt.Sprintf("Cannot read folder %s, permission denied: give the collector's user read and execute permission on it, or its messages are not counted.", p.Path)
	case NotADirectory:
		return fmt.Sprintf("%s is a file where Backbone expects a folder: move it away so Backbone can use the folder again; it is not counted meanwhile.", p.Path)
	case Symlink:
		return fmt.Sprintf("%s is a symbolic link where a folder is expected and is not followed: replace it with a folder, or its messages are not counted.", p.Path)
	case InvalidName:
		return fmt.Sprintf("The name of %s is not valid UTF-8 and is reported with U+FFFD replacement characters; it is still counted, rename it to be matched exactly.", p.Path)
	case UnexpectedSubfolder:
		return fmt.Sprintf("%s is a subfolder where Backbone keeps message files only: its files are counted with the folder around it; find out who made it, and move its messages back if Backbone should process them.", p.Path)
	case UnknownFolder:
		return fmt.Sprintf("%s is none of the folders Backbone is known to keep there: its files are not counted; if Backbone was upgraded, its layout may have changed.", p.Path)
	}
	return fmt.Sprintf("Cannot read %s (%v): check the file system; its messages are not counted.", p.Path, p.Err)
}

// kindOf classifies an error from opening or reading a folder. ok is false
// for a path that vanished, which is not a problem: Backbone moves and
// deletes messages and issue folders all the time.
func kindOf(err error) (kind ProblemKind, ok bool) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", false
	case errors.Is(err, fs.ErrPermission):
		return PermissionDenied, true
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, errNotDir):
		return NotADirectory, true
	case errors.Is(err, syscall.ELOOP), errors.Is(err, errSymlink):
		return Symlink, true
	}
	return ReadError, true
}
