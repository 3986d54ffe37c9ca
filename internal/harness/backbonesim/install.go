package backbonesim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// jiraDateLayout is how the API writes createdDate and lastModifiedDate.
const jiraDateLayout = "2006-01-02T15:04:05-0700"

// Queue types as the API's "@type" spells them.
const (
	QueueVM   = "vm"
	QueueFile = "file"
)

// IntegrationSpec describes an integration for AddIntegration. Empty metadata fields
// get what Backbone shows for one just created by "admin".
type IntegrationSpec struct {
	Key              string
	Summary          string
	Description      string
	CreatedUser      string
	LastModifiedUser string
	// CreatedDate and LastModifiedDate are in the API's format, 2016-11-10T11:07:10+0100.
	CreatedDate        string
	LastModifiedDate   string
	Distributed        bool
	Master             bool
	PartnerProjectType string
	// Status is the initial status; empty means RUNNING.
	Status string
	// Connectors holds two connectors for a centralized integration, one for a
	// distributed one (the other half lives in the partner's Jira).
	Connectors []ConnectorSpec
}

// ConnectorSpec describes one integrated project of an integration.
type ConnectorSpec struct {
	// Key is the connectorKey and the connector's folder name, e.g. "AP-29".
	Key              string
	ProjectKey       string
	CreatedUser      string
	LastModifiedUser string
	CreatedDate      string
	LastModifiedDate string
	// BaseURL and User are connection.application: the Jira and the sync user.
	BaseURL string
	User    string
	// SendQueue and ReceiveQueue default to vm queues named after the two connectors
	// (centralized) or to file queues under the integration's key (distributed).
	SendQueue    Queue
	ReceiveQueue Queue
	// InitialPollingDelay and PollingInterval are in ms; 0 means 1000.
	InitialPollingDelay int
	PollingInterval     int
	// StartTime is the start time shown while running; zero means the simulated now.
	StartTime time.Time
}

// Queue is a connector's sendQueue or receiveQueue.
type Queue struct {
	Type string // QueueVM or QueueFile
	Name string // for vm queues
	Path string // for file queues
}

// AddIntegration adds an integration to the API and creates its folders.
func (s *Sim) AddIntegration(spec IntegrationSpec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addIntegration(spec)
}

// RemoveIntegration deletes an integration and its folder, as deleting it in Jira does.
func (s *Sim) RemoveIntegration(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, in := range s.integrations {
		if in.spec.Key == key {
			s.integrations = append(s.integrations[:i], s.integrations[i+1:]...)
			return os.RemoveAll(filepath.Join(s.opts.Dir, namespace, key))
		}
	}
	return fmt.Errorf("unknown integration %q", key)
}

func (s *Sim) addIntegration(spec IntegrationSpec) error {
	if err := s.checkSpec(spec); err != nil {
		return err
	}
	now := s.now()
	spec = fillIntegrationSpec(spec, now)
	in := &integration{spec: spec}
	for i, cs := range spec.Connectors {
		cs = fillConnectorSpec(cs, spec, i, now)
		in.spec.Connectors[i] = cs
		in.connectors = append(in.connectors, &connector{
			spec:               cs,
			online:             true,
			incomingProcessing: processingIdle,
			outgoingProcessing: processingIdle,
		})
	}
	switch spec.Status {
	case StatusRunning:
		in.start(now)
		for _, c := range in.connectors {
			if !c.spec.StartTime.IsZero() {
				c.startTime = c.spec.StartTime.UnixMilli()
			}
		}
	default:
		in.stop()
		in.status = spec.Status
	}
	if err := s.createLayout(in); err != nil {
		return err
	}
	if err := s.resumeSequences(in); err != nil {
		return err
	}
	s.integrations = append(s.integrations, in)
	return nil
}

// checkSpec refuses what Backbone would not let an admin create.
func (s *Sim) checkSpec(spec IntegrationSpec) error {
	var errs []error
	if !validName(spec.Key) {
		errs = append(errs, fmt.Errorf("integration key %q is not a valid folder name", spec.Key))
	} else if s.integration(spec.Key) != nil {
		errs = append(errs, fmt.Errorf("integration %q already exists", spec.Key))
	}
	want := 2
	if spec.Distributed {
		want = 1
	}
	if len(spec.Connectors) != want {
		errs = append(errs, fmt.Errorf("integration %q needs %d connectors, has %d", spec.Key, want, len(spec.Connectors)))
	}
	seen := map[string]bool{}
	for _, c := range spec.Connectors {
		switch {
		case !validName(c.Key):
			errs = append(errs, fmt.Errorf("connector key %q is not a valid folder name", c.Key))
		case seen[c.Key]:
			errs = append(errs, fmt.Errorf("connector %q appears twice", c.Key))
		default:
			if _, other := s.findConnector(c.Key); other != nil {
				errs = append(errs, fmt.Errorf("connector %q already exists", c.Key))
			}
		}
		seen[c.Key] = true
		if c.ProjectKey == "" {
			errs = append(errs, fmt.Errorf("connector %q has no project key", c.Key))
		}
	}
	return errors.Join(errs...)
}

func validName(name string) bool {
	return name != "" && name != "." && name != ".." && filepath.Base(name) == name && name[0] != '.'
}

func fillIntegrationSpec(spec IntegrationSpec, now time.Time) IntegrationSpec {
	spec.Connectors = append([]ConnectorSpec(nil), spec.Connectors...)
	if spec.CreatedUser == "" {
		spec.CreatedUser = "admin"
	}
	if spec.LastModifiedUser == "" {
		spec.LastModifiedUser = spec.CreatedUser
	}
	if spec.CreatedDate == "" {
		spec.CreatedDate = now.Format(jiraDateLayout)
	}
	if spec.LastModifiedDate == "" {
		spec.LastModifiedDate = spec.CreatedDate
	}
	if spec.Distributed && spec.PartnerProjectType == "" {
		spec.PartnerProjectType = "software"
	}
	if spec.Status == "" {
		spec.Status = StatusRunning
	}
	return spec
}

func fillConnectorSpec(cs ConnectorSpec, spec IntegrationSpec, i int, now time.Time) ConnectorSpec {
	if cs.CreatedUser == "" {
		cs.CreatedUser = spec.CreatedUser
	}
	if cs.LastModifiedUser == "" {
		cs.LastModifiedUser = cs.CreatedUser
	}
	if cs.CreatedDate == "" {
		cs.CreatedDate = now.Format(jiraDateLayout)
	}
	if cs.LastModifiedDate == "" {
		cs.LastModifiedDate = cs.CreatedDate
	}
	if cs.BaseURL == "" {
		cs.BaseURL = "http://localhost:8080"
	}
	if cs.User == "" {
		cs.User = "backbone"
	}
	if cs.InitialPollingDelay == 0 {
		cs.InitialPollingDelay = 1000
	}
	if cs.PollingInterval == 0 {
		cs.PollingInterval = 1000
	}
	if cs.SendQueue.Type == "" || cs.ReceiveQueue.Type == "" {
		if spec.Distributed {
			cs.SendQueue = Queue{Type: QueueFile, Path: spec.Key + "/SEND"}
			cs.ReceiveQueue = Queue{Type: QueueFile, Path: spec.Key + "/RECEIVE"}
		} else {
			own, other := cs.Key, spec.Connectors[1-i].Key
			cs.SendQueue = Queue{Type: QueueVM, Name: own + "_" + other}
			cs.ReceiveQueue = Queue{Type: QueueVM, Name: other + "_" + own}
		}
	}
	return cs
}
