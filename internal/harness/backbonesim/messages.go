package backbonesim

import (
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// messageExt is the extension of Backbone's change messages; partialExt marks a file
// that is not one (an interrupted transfer), which Backbone moves to invalid/.
const (
	messageExt = ".bac"
	partialExt = ".part"
)

// PutMessage writes a new message into a folder of a connector (FolderReceive ...
// FolderSendError) and returns its path. Issue names the per-issue folder of FolderError
// and FolderIssueMissing and must be empty for the others. Messages in SEND carry the
// connector's own sequence number, those in RECEIVE the partner's; FolderInvalid gets a
// file that is not a .bac file.
func (s *Sim) PutMessage(integrationKey, connectorKey, folder, issue string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.integration(integrationKey)
	if in == nil {
		return "", fmt.Errorf("unknown integration %q", integrationKey)
	}
	c := in.connector(connectorKey)
	if c == nil {
		return "", fmt.Errorf("integration %q has no connector %q", integrationKey, connectorKey)
	}
	suffix := ""
	if normalFolder(folder) == FolderInvalid {
		suffix = partialExt
	}
	return s.putMessage(in, c, folder, issue, suffix)
}

// MoveMessage moves a message of the tree to another folder of the same connector,
// keeping its name, and returns the new path. An issue folder left empty is removed.
func (s *Sim) MoveMessage(path, toFolder, issue string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, c, err := s.locate(path)
	if err != nil {
		return "", err
	}
	dir, err := s.folderDir(in, c, toFolder, issue)
	if err != nil {
		return "", err
	}
	src, _ := filepath.Abs(path)
	dst := filepath.Join(dir, filepath.Base(src))
	if dst == src {
		return dst, nil
	}
	return dst, moveFile(src, dst)
}

// RemoveMessage deletes a message of the tree; an issue folder left empty is removed.
func (s *Sim) RemoveMessage(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, _, err := s.locate(path); err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	return removeFile(abs)
}

func (s *Sim) putMessage(in *integration, c *connector, folder, issue, suffix string) (string, error) {
	dir, err := s.folderDir(in, c, folder, issue)
	if err != nil {
		return "", err
	}
	f := normalFolder(folder)
	name := s.nextName(in, c, f == FolderSend || f == FolderSendError) + suffix
	path := filepath.Join(dir, name)
	return path, s.writeAtomic(path, messageContent(in.spec.Key, c.spec.Key, name))
}

// unexpectedSubfolder is the folder Options.UnexpectedSubfolder makes inside a flat
// folder.
const unexpectedSubfolder = "held"

// putUnexpected puts a message where Backbone's documented layout has none: in a
// subfolder of PB-30's sequence-error/, as an admin or another tool might leave it.
func (s *Sim) putUnexpected() error {
	in := s.integration(centralKey)
	c := in.connector(centralSecond)
	dir, err := s.folderDir(in, c, FolderSequenceError, "")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, unexpectedSubfolder, s.nextName(in, c, false))
	if err := s.writeAtomic(path, messageContent(in.spec.Key, c.spec.Key, filepath.Base(path))); err != nil {
		return err
	}
	s.event(in, c, "message %s left in an unexpected folder: %s", filepath.Base(path), filepath.Join("RECEIVE", "sequence-error", unexpectedSubfolder))
	return nil
}

// nextName numbers a new message: outgoing ones by the connector's own sequence,
// incoming ones by the sending side's.
func (s *Sim) nextName(in *integration, c *connector, outgoing bool) string {
	var n int
	switch p := in.partner(c); {
	case outgoing:
		c.seq++
		n = c.seq
	case p != nil:
		p.seq++
		n = p.seq
	default:
		c.remoteSeq++
		n = c.remoteSeq
	}
	return fmt.Sprintf("%06d%s", n, messageExt)
}

// locate finds the integration and connector a message file of the tree belongs to.
func (s *Sim) locate(path string) (*integration, *connector, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, err
	}
	rel, err := filepath.Rel(s.opts.Dir, abs)
	if err != nil {
		return nil, nil, err
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if len(parts) < 5 || parts[0] != namespace {
		return nil, nil, fmt.Errorf("%s is not a message of the tree", path)
	}
	in := s.integration(parts[1])
	if in == nil {
		return nil, nil, fmt.Errorf("%s: unknown integration %q", path, parts[1])
	}
	c := in.connector(parts[2])
	if c == nil {
		return nil, nil, fmt.Errorf("%s: unknown connector %q", path, parts[2])
	}
	fi, err := os.Lstat(abs)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s is not a file", path)
	}
	return in, c, nil
}

// messageContent makes opaque bytes for a message: a marker and a filler whose length
// varies like real change sets, derived from the name so that runs are reproducible.
func messageContent(integrationKey, connectorKey, name string) []byte {
	h := fnv.New64a()
	_, _ = io.WriteString(h, integrationKey+"/"+connectorKey+"/"+name)
	sum := h.Sum64()
	r := rand.New(rand.NewPCG(sum, sum^0x9e3779b97f4a7c15))
	b := make([]byte, 128+r.IntN(1920))
	n := copy(b, "BBSIM\x00\x01\x00")
	for i := n; i < len(b); i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}
