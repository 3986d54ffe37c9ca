package queuetree

import "strings"

// Place is where a scan counts a message file.
type Place struct {
	Namespace   string // "" when the scanned root is itself a namespace folder
	Integration string
	Connector   string
	Folder      Folder
	Issue       string // the issue folder, in error/ and issue-missing/ only; "" for a file lying directly in them
	Subfolder   string // an unexpected folder in a flat folder other than archive/ (a problem, still counted)
}

// Classify tells whether a scan counts a regular file at rel, a path below the scanned
// root with forward slashes, and where. It states the scanner's layout rules in one
// place, with the same tables, and the fuzz tests hold the scanner to it; the scanner
// itself does not call it, so it lives with the tests:
//
//	[namespace/]integration/connector/RECEIVE/file                    receive
//	[namespace/]integration/connector/RECEIVE/<known folder>/file     that folder
//	[namespace/]integration/connector/RECEIVE/error/[issue/]file      error (issue-missing alike)
//	[namespace/]integration/connector/RECEIVE/offline/[sub/]file      offline (every flat folder but archive alike)
//	[namespace/]integration/connector/SEND/file                       send
//	[namespace/]integration/connector/SEND/error/[sub/]file           send_error
//
// Any name is accepted for the namespace, the integration, the connector, the issue and
// the file; names are returned as they are, not made valid UTF-8. rootIsNamespace tells
// whether the root is a namespace folder (integrations directly below it) rather than the
// backbone-issue-sync folder; a scan decides that from the tree. ok is false for a file
// that is not counted: outside a message folder, in a folder below one, named like a known
// folder where that folder belongs (a problem, not a message), or a rel that is not a
// clean relative path.
func Classify(rel string, rootIsNamespace bool) (p Place, ok bool) {
	parts := strings.Split(rel, "/")
	for _, s := range parts {
		if s == "" || s == "." || s == ".." || strings.IndexByte(s, 0) >= 0 {
			return Place{}, false
		}
	}
	if !rootIsNamespace {
		p.Namespace, parts = parts[0], parts[1:]
	}
	// integration, connector, RECEIVE or SEND, and at least the file.
	if len(parts) < 4 {
		return Place{}, false
	}
	p.Integration, p.Connector = parts[0], parts[1]
	top, rest := parts[2], parts[3:]
	switch top {
	case receiveDir:
		f, known := receiveSubfolders[rest[0]]
		switch {
		case len(rest) == 1 && known:
			return Place{}, false // a file where that folder should be
		case len(rest) == 1:
			p.Folder = Receive
			return p, true
		case !known:
			return Place{}, false // below an unknown folder
		}
		p.Folder, rest = f, rest[1:]
	case sendDir:
		switch {
		case len(rest) == 1 && rest[0] == "error":
			return Place{}, false
		case len(rest) == 1:
			p.Folder = Send
			return p, true
		case rest[0] != "error":
			return Place{}, false
		}
		p.Folder, rest = SendError, rest[1:]
	default:
		return Place{}, false
	}
	switch {
	case len(rest) == 1:
		return p, true
	case len(rest) == 2 && p.Folder.HasIssues():
		p.Issue = rest[0]
		return p, true
	case len(rest) == 2 && p.Folder != Archive:
		p.Subfolder = rest[0]
		return p, true
	}
	return Place{}, false // too deep
}
