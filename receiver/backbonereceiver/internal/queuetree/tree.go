package queuetree

import "time"

// Tree is the result of one scan.
type Tree struct {
	Root       string      // Options.Root
	Connectors []Connector // sorted by IntegrationKey, ConnectorKey, then Namespace
	Problems   []Problem   // sorted by Path; empty when all is fine
}

// Connector holds the folders of one connector, i.e. of one project's side of
// an integration.
type Connector struct {
	Namespace      string
	IntegrationKey string
	ConnectorKey   string                  // the folder's name, equal to the REST API's connectorKey
	Path           string                  // the connector folder
	Folders        [NumFolders]FolderStats // indexed like Folders
}

// Folder returns the statistics of f, or nil for an unknown folder.
func (c *Connector) Folder(f Folder) *FolderStats {
	if i := f.index(); i >= 0 {
		return &c.Folders[i]
	}
	return nil
}

// FolderStats describes the messages of one folder of a connector.
type FolderStats struct {
	Exists   bool
	Messages int64 // regular files, whatever their name
	Bytes    int64
	// BytesKnown is false when Bytes and Oldest were not measured: for
	// archive/ without Options.ArchiveDetails, or when the folder could not be
	// read entirely (see Tree.Problems).
	BytesKnown bool
	Oldest     time.Time // when the longest-waiting message entered the folder (File.Entered); zero when empty or unknown
	Issues     int64     // error and issue_missing only: issue subfolders holding a message
	Files      []File    // Watched folders only, sorted by Path
}

// File is one message of a watched folder.
type File struct {
	Path    string // the walked folder's path joined with Name; it shows an unexpected subfolder
	Name    string
	Issue   string // issue subfolder for error and issue_missing, else ""
	Size    int64
	ModTime time.Time // kept by a move: when the message was written, maybe in another folder
	// Entered is when the message came into this folder: the later of its
	// modification and change times, as a move (rename) sets the change
	// time only. A chmod, chown or rewrite sets it too: it may be later
	// than the real entry, never earlier.
	Entered time.Time
}
