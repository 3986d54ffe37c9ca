package backbonesim

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// namespace is the only namespace folder the vendor documents.
const namespace = "default"

// tmpDirName holds files while they are written, so that a watcher of the tree only
// ever sees complete files appear (by rename).
const tmpDirName = ".sim-tmp"

// Folder names accepted by PutMessage and MoveMessage.
const (
	FolderReceive       = "receive"
	FolderArchive       = "archive"
	FolderError         = "error"
	FolderIssueMissing  = "issue_missing"
	FolderSequenceError = "sequence_error"
	FolderOffline       = "offline"
	FolderInvalid       = "invalid"
	FolderDiscard       = "discard"
	FolderSend          = "send"
	FolderSendError     = "send_error"
)

// folderPaths places each folder under a connector folder, as Backbone lays it out.
var folderPaths = map[string]string{
	FolderReceive:       "RECEIVE",
	FolderArchive:       "RECEIVE/archive",
	FolderError:         "RECEIVE/error",
	FolderIssueMissing:  "RECEIVE/issue-missing",
	FolderSequenceError: "RECEIVE/sequence-error",
	FolderOffline:       "RECEIVE/offline",
	FolderInvalid:       "RECEIVE/invalid",
	FolderDiscard:       "RECEIVE/discard",
	FolderSend:          "SEND",
	FolderSendError:     "SEND/error",
}

// folderOrder lists the folders in a stable order for layouts and snapshots.
var folderOrder = []string{
	FolderReceive, FolderArchive, FolderError, FolderIssueMissing, FolderSequenceError,
	FolderOffline, FolderInvalid, FolderDiscard, FolderSend, FolderSendError,
}

// perIssue tells the folders that hold one sub-folder per issue.
func perIssue(folder string) bool {
	return folder == FolderError || folder == FolderIssueMissing
}

// normalFolder accepts "issue-missing" as well as "issue_missing".
func normalFolder(folder string) string {
	return strings.ReplaceAll(strings.ToLower(folder), "-", "_")
}

func (s *Sim) connectorDir(in *integration, c *connector) string {
	return filepath.Join(s.opts.Dir, namespace, in.spec.Key, c.spec.Key)
}

// folderDir returns where messages of folder (and issue, for per-issue folders) live.
func (s *Sim) folderDir(in *integration, c *connector, folder, issue string) (string, error) {
	folder = normalFolder(folder)
	rel, ok := folderPaths[folder]
	if !ok {
		return "", fmt.Errorf("unknown folder %q", folder)
	}
	dir := filepath.Join(s.connectorDir(in, c), filepath.FromSlash(rel))
	switch {
	case perIssue(folder) && !validName(issue):
		return "", fmt.Errorf("folder %q needs a valid issue, got %q", folder, issue)
	case perIssue(folder):
		return filepath.Join(dir, issue), nil
	case issue != "":
		return "", fmt.Errorf("folder %q has no issue folders", folder)
	}
	return dir, nil
}

// createLayout creates the folders Backbone creates for an integration; per-issue
// folders come later, with their first message.
func (s *Sim) createLayout(in *integration) error {
	for _, c := range in.connectors {
		for _, rel := range folderPaths {
			if err := os.MkdirAll(filepath.Join(s.connectorDir(in, c), filepath.FromSlash(rel)), 0o755); err != nil {
				return err
			}
		}
	}
	return nil
}

// resumeSequences continues numbering after the files already in an integration's folder,
// so that a simulator restarted on an old tree never reuses a name.
func (s *Sim) resumeSequences(in *integration) error {
	highest := 0
	err := filepath.WalkDir(filepath.Join(s.opts.Dir, namespace, in.spec.Key), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if digits, _, ok := strings.Cut(d.Name(), "."); ok && !d.IsDir() {
			if n, err := strconv.Atoi(digits); err == nil {
				highest = max(highest, n)
			}
		}
		return nil
	})
	for _, c := range in.connectors {
		c.seq, c.remoteSeq = highest, highest
	}
	return err
}

// writeAtomic writes data to a temporary file outside the tree and renames it into
// place, so that the file appears complete or not at all.
func (s *Sim) writeAtomic(dest string, data []byte) error {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("%s already exists", dest)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Join(s.opts.Dir, tmpDirName), "msg-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), dest); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return nil
}

// moveFile renames src to dst (never overwriting) and drops src's issue folder if it
// became empty, as Backbone does.
func moveFile(src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s already exists", dst)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	return pruneIssueDir(filepath.Dir(src))
}

// removeFile deletes a message and drops its issue folder if it became empty.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil {
		return err
	}
	return pruneIssueDir(filepath.Dir(path))
}

// pruneIssueDir removes dir when it is an empty per-issue folder.
func pruneIssueDir(dir string) error {
	parent := filepath.Base(filepath.Dir(dir))
	if filepath.Base(filepath.Dir(filepath.Dir(dir))) != "RECEIVE" || (parent != "error" && parent != "issue-missing") {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) > 0 {
		return err
	}
	return os.Remove(dir)
}

// files lists the regular files directly in dir, sorted by name.
func files(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	return out, err
}

// subdirs lists the folders directly in dir, sorted by name.
func subdirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, err
}

// issuesInError is what the API reports: the number of issue folders in RECEIVE/error.
func (s *Sim) issuesInError(in *integration, c *connector) int {
	dirs, _ := subdirs(filepath.Join(s.connectorDir(in, c), "RECEIVE", "error"))
	return len(dirs)
}

// countFiles counts the message files of one folder, summed over issue folders.
func (s *Sim) countFiles(in *integration, c *connector, folder string) int {
	dir := filepath.Join(s.connectorDir(in, c), filepath.FromSlash(folderPaths[folder]))
	names, _ := files(dir)
	n := len(names)
	if folder == FolderReceive || folder == FolderSend || folder == FolderArchive {
		return n
	}
	subs, _ := subdirs(dir)
	for _, sub := range subs {
		names, _ := files(filepath.Join(dir, sub))
		n += len(names)
	}
	return n
}
