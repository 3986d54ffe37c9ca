package backbonesim

import "time"

// Snapshot is the Sim's state at one moment: what a receiver should report.
type Snapshot struct {
	// Step is the number of scenario ticks run so far.
	Step int
	// Now is the simulated time.
	Now          time.Time
	Integrations []IntegrationState
	Stats        Stats
}

// IntegrationState is one integration in a Snapshot.
type IntegrationState struct {
	Key         string
	Status      string
	Distributed bool
	Connectors  []ConnectorState
}

// ConnectorState is one connector in a Snapshot.
type ConnectorState struct {
	Key        string
	ProjectKey string
	// BaseURL is the connection's Jira, as the integrations list gives it.
	BaseURL      string
	Online       bool
	Reconnecting bool
	// StartTime is zero while the integration is stopped.
	StartTime     time.Time
	IssuesInError int
	// IncomingDetails and OutgoingDetails are the API's free text.
	IncomingDetails string
	OutgoingDetails string
	// Files counts the files of each folder (FolderReceive ... FolderSendError), the
	// issue folders of FolderError and FolderIssueMissing summed, like those of a
	// subfolder of the other folders but archive (Options.UnexpectedSubfolder).
	Files map[string]int
}

// Snapshot returns the current state, read under the same lock as the API.
func (s *Sim) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{Step: s.step, Now: s.now(), Stats: s.stats}
	snap.Stats.CaptchaRequired = s.captcha
	for _, in := range s.integrations {
		is := IntegrationState{Key: in.spec.Key, Status: in.status, Distributed: in.spec.Distributed}
		for _, c := range in.connectors {
			cs := ConnectorState{
				Key:             c.spec.Key,
				ProjectKey:      c.spec.ProjectKey,
				BaseURL:         c.spec.BaseURL,
				Online:          c.online,
				Reconnecting:    c.reconnecting,
				IssuesInError:   s.issuesInError(in, c),
				IncomingDetails: c.incomingDetails,
				OutgoingDetails: c.outgoingDetails,
				Files:           make(map[string]int, len(folderOrder)),
			}
			if c.startTime != 0 {
				cs.StartTime = time.UnixMilli(c.startTime).In(s.opts.Epoch.Location())
			}
			for _, f := range folderOrder {
				cs.Files[f] = s.countFiles(in, c, f)
			}
			is.Connectors = append(is.Connectors, cs)
		}
		snap.Integrations = append(snap.Integrations, is)
	}
	return snap
}
