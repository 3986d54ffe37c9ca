package backbonesim

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Step runs one tick of the scenario: the ordinary traffic of every running
// integration, then the scripted events due at this point of the cycle, so that what
// they leave in RECEIVE or SEND is seen there until the next tick.
func (s *Sim) Step() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.step % s.opts.Cycle
	s.step++
	var errs []error
	for _, in := range s.integrations {
		if in.status == StatusRunning {
			errs = append(errs, s.traffic(in))
		}
	}
	errs = append(errs, s.runScript(t, s.now()))
	return errors.Join(errs...)
}

// Run steps the scenario every Tick/Speed of wall time until ctx ends or the Sim is
// closed. A failed step is logged and the scenario goes on, as Backbone would.
func (s *Sim) Run(ctx context.Context) error {
	interval := max(time.Millisecond, time.Duration(float64(s.opts.Tick)/s.opts.Speed))
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.done:
			return nil
		case <-tk.C:
			if err := s.Step(); err != nil {
				s.log.Error("scenario step failed", "error", err)
			}
		}
	}
}

// traffic moves one tick's ordinary messages: received ones are applied, queued ones
// are sent, and issue changes on each side produce new ones.
func (s *Sim) traffic(in *integration) error {
	var errs []error
	for _, c := range in.connectors {
		errs = append(errs, s.processReceive(in, c), s.sendOut(in, c))
	}
	for _, c := range in.connectors {
		for range s.burst() {
			_, err := s.putMessage(in, c, FolderSend, "", "")
			errs = append(errs, err)
		}
		if in.spec.Distributed && c.online && c.incomingRoute == routeStarted {
			for range s.burst() {
				_, err := s.putMessage(in, c, FolderReceive, "", "")
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// burst is how many changes one side makes in a tick: mostly none or one.
func (s *Sim) burst() int {
	switch r := s.rng.IntN(20); {
	case r < 10:
		return 0
	case r < 17:
		return 1
	default:
		return 2
	}
}

// processReceive applies most received messages (some wait a tick longer) and moves
// files that are not messages to invalid/.
func (s *Sim) processReceive(in *integration, c *connector) error {
	if c.incomingRoute != routeStarted {
		return nil
	}
	dir := filepath.Join(s.connectorDir(in, c), "RECEIVE")
	names, err := files(dir)
	errs := []error{err}
	applied := 0
	for _, name := range names {
		to := FolderArchive
		switch {
		case !strings.HasSuffix(name, messageExt):
			to = FolderInvalid
		case s.rng.IntN(10) >= 8:
			continue
		}
		dst, _ := s.folderDir(in, c, to, "")
		if err := moveFile(filepath.Join(dir, name), filepath.Join(dst, name)); err != nil {
			errs = append(errs, err)
			continue
		}
		if to == FolderInvalid {
			s.event(in, c, "file %s is not a .bac file, moved to invalid", name)
		} else {
			applied++
		}
	}
	if applied > 0 {
		s.log.Debug(label(in, c)+": "+count(applied, "message")+" applied", "step", s.step)
	}
	return errors.Join(errs...)
}

// sendOut sends most queued messages while the partner is reachable: to the other
// connector's RECEIVE in a centralized integration, out of this Jira otherwise.
func (s *Sim) sendOut(in *integration, c *connector) error {
	if !c.online || c.outgoingRoute != routeStarted {
		return nil
	}
	dir := filepath.Join(s.connectorDir(in, c), "SEND")
	names, err := files(dir)
	errs := []error{err}
	p := in.partner(c)
	sent := 0
	for _, name := range names {
		if !strings.HasSuffix(name, messageExt) || s.rng.IntN(10) == 9 {
			continue
		}
		src := filepath.Join(dir, name)
		if p == nil {
			err = removeFile(src)
		} else {
			err = moveFile(src, filepath.Join(s.connectorDir(in, p), "RECEIVE", name))
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sent++
	}
	if sent > 0 {
		s.log.Debug(label(in, c)+": "+count(sent, "message")+" sent", "step", s.step)
	}
	return errors.Join(errs...)
}

// event logs one line per scenario event, prefixed like an admin names things:
// "INT-16/AP-29: message 000042.bac failed to apply for issue AP-123".
func (s *Sim) event(in *integration, c *connector, format string, args ...any) {
	who := in.spec.Key
	if c != nil {
		who = label(in, c)
	}
	s.log.Info(who+": "+fmt.Sprintf(format, args...), "step", s.step)
}

// count writes "1 message", "2 messages".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
