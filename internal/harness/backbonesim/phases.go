package backbonesim

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"time"
)

// The scripted phases act on the default installation; they skip whatever a test
// removed or stopped.
const (
	centralKey      = "INT-16"
	centralFirst    = "AP-29"
	centralSecond   = "PB-30"
	distributedKey  = "INT-15"
	distributedConn = "SP-28"
	serviceKey      = "INT-17"
	serviceConn     = "SSD-38"
)

// script remembers what the phases left behind, so that later phases undo exactly
// that and nothing a test put there.
type script struct {
	missing   []string // issues waiting in issue-missing of PB-30
	errIssues []string // issues in error on AP-29, oldest first
	seqErrors []string // paths held in sequence-error of SSD-38
	stuckSeq  []string // paths held there for long (stuckGap)
	sendError []string // paths in SEND/error of PB-30
	invalid   []string // paths of partial files of SP-28, as moved to invalid/
}

// phase is one scripted event, at a point of the cycle given in thousandths.
type phase struct {
	name     string
	permille int
	run      func(s *Sim, now time.Time) error
}

// phases is the cycle's script, in order; with the default cycle of 120 ticks the
// partner goes offline at tick 12, comes back at 30, and so on. Of the two sequence
// gaps, the first stays for long (40 ticks of the default cycle: longer than a short
// "stuck" threshold), the second heals in 6.
var phases = []phase{
	{"sequence gap stuck", 50, (*Sim).stuckSequenceGap},
	{"partner offline", 100, (*Sim).partnerOffline},
	{"issue missing", 150, (*Sim).issueMissing},
	{"partner online", 250, (*Sim).partnerOnline},
	{"missing issue created", 280, (*Sim).missingIssueCreated},
	{"apply fails", 300, (*Sim).applyFails},
	{"apply fails again", 350, (*Sim).applyFails},
	{"stuck sequence gap filled", 390, (*Sim).stuckSequenceGapFilled},
	{"sequence gap", 400, (*Sim).sequenceGap},
	{"sequence gap filled", 450, (*Sim).sequenceGapFilled},
	{"send fails", 450, (*Sim).sendFails},
	{"error resolved", 500, (*Sim).errorResolved},
	{"error resolved again", 550, (*Sim).errorResolved},
	{"send retried", 600, (*Sim).sendRetried},
	{"partial file", 650, (*Sim).partialFile},
	{"integration stopped", 700, (*Sim).integrationStopped},
	{"integration restarted", 850, (*Sim).integrationRestarted},
	{"invalid cleaned up", 950, (*Sim).invalidCleaned},
}

// phaseTick is the tick of the cycle (0-based) a phase runs at.
func phaseTick(permille, cycle int) int { return permille * cycle / 1000 }

func (s *Sim) runScript(t int, now time.Time) error {
	var errs []error
	for _, p := range phases {
		if phaseTick(p.permille, s.opts.Cycle) == t {
			if err := p.run(s, now); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", p.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// running returns the target connector if its integration exists and runs.
func (s *Sim) running(integrationKey, connectorKey string) (*integration, *connector) {
	in := s.integration(integrationKey)
	if in == nil || in.status != StatusRunning {
		return nil, nil
	}
	c := in.connector(connectorKey)
	if c == nil {
		return nil, nil
	}
	return in, c
}

// partnerUnreachable is what Backbone's API says of a connector whose partner is
// offline, in outgoingDetails.
const partnerUnreachable = "Partner not reachable"

// newIssue picks an issue key of c's project that is not already in error.
func (s *Sim) newIssue(c *connector) string {
	for {
		issue := fmt.Sprintf("%s-%d", c.spec.ProjectKey, 1+s.rng.IntN(400))
		if !slices.Contains(s.script.errIssues, issue) && !slices.Contains(s.script.missing, issue) {
			return issue
		}
	}
}

func (s *Sim) partnerOffline(time.Time) error {
	in, c := s.running(distributedKey, distributedConn)
	if c == nil {
		return nil
	}
	c.online, c.reconnecting = false, true
	c.outgoingDetails = partnerUnreachable
	s.event(in, c, "partner unreachable, reconnecting; outgoing details %q", partnerUnreachable)
	return nil
}

func (s *Sim) partnerOnline(time.Time) error {
	in := s.integration(distributedKey)
	if in == nil || in.connector(distributedConn) == nil {
		return nil
	}
	c := in.connector(distributedConn)
	c.online, c.reconnecting = true, false
	c.outgoingDetails = ""
	s.event(in, c, "partner reachable again, %s queued to send", count(s.countFiles(in, c, FolderSend), "message"))
	return nil
}

func (s *Sim) issueMissing(time.Time) error {
	in, c := s.running(centralKey, centralSecond)
	if c == nil {
		return nil
	}
	issue := s.newIssue(c)
	path, err := s.putMessage(in, c, FolderIssueMissing, issue, "")
	if err != nil {
		return err
	}
	s.script.missing = append(s.script.missing, issue)
	s.event(in, c, "message %s waits for missing issue %s", filepath.Base(path), issue)
	return nil
}

func (s *Sim) missingIssueCreated(time.Time) error {
	in, c := s.running(centralKey, centralSecond)
	if c == nil {
		return nil
	}
	var errs []error
	for _, issue := range s.script.missing {
		n, err := s.drain(in, c, FolderIssueMissing, issue)
		errs = append(errs, err)
		s.event(in, c, "issue %s synchronized, %s applied", issue, count(n, "waiting message"))
	}
	s.script.missing = nil
	return errors.Join(errs...)
}

func (s *Sim) applyFails(time.Time) error {
	in, c := s.running(centralKey, centralFirst)
	if c == nil {
		return nil
	}
	issue := s.newIssue(c)
	path, err := s.putMessage(in, c, FolderError, issue, "")
	if err != nil {
		return err
	}
	s.script.errIssues = append(s.script.errIssues, issue)
	s.event(in, c, "message %s failed to apply for issue %s", filepath.Base(path), issue)
	return nil
}

func (s *Sim) errorResolved(time.Time) error {
	in, c := s.running(centralKey, centralFirst)
	if c == nil || len(s.script.errIssues) == 0 {
		return nil
	}
	issue := s.script.errIssues[0]
	s.script.errIssues = s.script.errIssues[1:]
	n, err := s.drain(in, c, FolderError, issue)
	s.event(in, c, "error of issue %s resolved by an admin, %s applied", issue, count(n, "message"))
	return err
}

func (s *Sim) sequenceGap(time.Time) error { return s.holdBack(&s.script.seqErrors) }

func (s *Sim) sequenceGapFilled(time.Time) error { return s.release(&s.script.seqErrors) }

func (s *Sim) stuckSequenceGap(time.Time) error { return s.holdBack(&s.script.stuckSeq) }

func (s *Sim) stuckSequenceGapFilled(time.Time) error { return s.release(&s.script.stuckSeq) }

// holdBack puts a message of SSD-38 into sequence-error and remembers it in held.
func (s *Sim) holdBack(held *[]string) error {
	in, c := s.running(serviceKey, serviceConn)
	if c == nil {
		return nil
	}
	path, err := s.putMessage(in, c, FolderSequenceError, "", "")
	if err != nil {
		return err
	}
	*held = append(*held, path)
	s.event(in, c, "message %s held back: an earlier message of its issue is missing", filepath.Base(path))
	return nil
}

// release applies the messages held: the missing one arrived.
func (s *Sim) release(held *[]string) error {
	in, c := s.running(serviceKey, serviceConn)
	if c == nil {
		return nil
	}
	paths := *held
	*held = nil
	return s.moveAll(in, c, paths, FolderArchive, "missing message arrived, %s applied")
}

func (s *Sim) sendFails(time.Time) error {
	in, c := s.running(centralKey, centralSecond)
	if c == nil {
		return nil
	}
	path, err := s.putMessage(in, c, FolderSendError, "", "")
	if err != nil {
		return err
	}
	s.script.sendError = append(s.script.sendError, path)
	s.event(in, c, "message %s failed to send", filepath.Base(path))
	return nil
}

func (s *Sim) sendRetried(time.Time) error {
	in, c := s.running(centralKey, centralSecond)
	if c == nil {
		return nil
	}
	paths := s.script.sendError
	s.script.sendError = nil
	return s.moveAll(in, c, paths, FolderSend, "message %s retried by an admin")
}

func (s *Sim) partialFile(time.Time) error {
	in, c := s.running(distributedKey, distributedConn)
	if c == nil {
		return nil
	}
	path, err := s.putMessage(in, c, FolderReceive, "", partialExt)
	if err != nil {
		return err
	}
	invalid, _ := s.folderDir(in, c, FolderInvalid, "")
	s.script.invalid = append(s.script.invalid, filepath.Join(invalid, filepath.Base(path)))
	s.event(in, c, "incomplete transfer %s left in RECEIVE", filepath.Base(path))
	return nil
}

func (s *Sim) invalidCleaned(time.Time) error {
	in := s.integration(distributedKey)
	if in == nil || in.connector(distributedConn) == nil {
		return nil
	}
	c := in.connector(distributedConn)
	var errs []error
	for _, path := range s.script.invalid {
		err := removeFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		errs = append(errs, err)
		s.event(in, c, "admin deleted %s from invalid", filepath.Base(path))
	}
	s.script.invalid = nil
	return errors.Join(errs...)
}

func (s *Sim) integrationStopped(time.Time) error {
	in := s.integration(serviceKey)
	if in == nil || in.status != StatusRunning {
		return nil
	}
	in.stop()
	s.event(in, nil, "stopped by an admin")
	return nil
}

func (s *Sim) integrationRestarted(now time.Time) error {
	in := s.integration(serviceKey)
	if in == nil || in.status != StatusStopped {
		return nil
	}
	in.start(now)
	s.event(in, nil, "started by an admin")
	return nil
}

// drain applies every message of an issue folder: they move to archive and the
// emptied folder goes.
func (s *Sim) drain(in *integration, c *connector, folder, issue string) (int, error) {
	dir, err := s.folderDir(in, c, folder, issue)
	if err != nil {
		return 0, err
	}
	names, err := files(dir)
	if err != nil {
		return 0, err
	}
	archive, _ := s.folderDir(in, c, FolderArchive, "")
	var errs []error
	for _, name := range names {
		errs = append(errs, moveFile(filepath.Join(dir, name), filepath.Join(archive, name)))
	}
	return len(names), errors.Join(errs...)
}

// moveAll moves the given messages to a folder, skipping those a test took away, and
// logs each with format.
func (s *Sim) moveAll(in *integration, c *connector, paths []string, folder, format string) error {
	dir, _ := s.folderDir(in, c, folder, "")
	var errs []error
	for _, path := range paths {
		err := moveFile(path, filepath.Join(dir, filepath.Base(path)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		errs = append(errs, err)
		s.event(in, c, format, filepath.Base(path))
	}
	return errors.Join(errs...)
}
