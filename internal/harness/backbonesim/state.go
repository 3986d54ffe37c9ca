package backbonesim

import (
	"fmt"
	"time"
)

// Values the API shows for integrations, routes and processing.
const (
	StatusRunning = "RUNNING"
	StatusStopped = "STOPPED"

	routeStarted   = "STARTED"
	routeStopped   = "STOPPED"
	processingIdle = "IDLE"
)

// integration is one synchronization as Backbone keeps it.
type integration struct {
	spec       IntegrationSpec
	status     string
	connectors []*connector
}

// connector is one side of an integration: a project and its message routes.
type connector struct {
	spec ConnectorSpec
	// startTime is in epoch milliseconds; 0 while the integration is stopped.
	startTime          int64
	online             bool
	reconnecting       bool
	incomingRoute      string
	outgoingRoute      string
	externalRoute      string
	incomingProcessing string
	outgoingProcessing string
	// incomingDetails and outgoingDetails are the API's free text, usually empty.
	incomingDetails string
	outgoingDetails string
	// seq is the last sequence number this connector sent; remoteSeq the last one a
	// distributed partner sent it. Message files are named after them.
	seq       int
	remoteSeq int
}

// partner returns the other connector of a centralized integration, nil otherwise.
func (in *integration) partner(c *connector) *connector {
	for _, o := range in.connectors {
		if o != c {
			return o
		}
	}
	return nil
}

func (in *integration) connector(key string) *connector {
	for _, c := range in.connectors {
		if c.spec.Key == key {
			return c
		}
	}
	return nil
}

// start puts the integration in RUNNING with fresh start times, as a restart does.
func (in *integration) start(now time.Time) {
	in.status = StatusRunning
	for i, c := range in.connectors {
		// Backbone starts connectors one after the other: a few ms apart.
		c.startTime = now.UnixMilli() + int64(i)*130
		c.incomingRoute, c.outgoingRoute, c.externalRoute = routeStarted, routeStarted, routeStarted
	}
}

// stop puts the integration in STOPPED: routes stop and the start time disappears.
func (in *integration) stop() {
	in.status = StatusStopped
	for _, c := range in.connectors {
		c.startTime = 0
		c.incomingRoute, c.outgoingRoute, c.externalRoute = routeStopped, routeStopped, routeStopped
	}
}

// label names a connector in log lines the way an admin reads it: INT-16/AP-29.
func label(in *integration, c *connector) string {
	return in.spec.Key + "/" + c.spec.Key
}

// now is the simulated time; callers hold s.mu.
func (s *Sim) now() time.Time {
	return s.opts.Epoch.Add(time.Duration(s.step) * s.opts.Tick)
}

func (s *Sim) integration(key string) *integration {
	for _, in := range s.integrations {
		if in.spec.Key == key {
			return in
		}
	}
	return nil
}

// findConnector looks a connector up across integrations: connector keys are unique.
func (s *Sim) findConnector(key string) (*integration, *connector) {
	for _, in := range s.integrations {
		if c := in.connector(key); c != nil {
			return in, c
		}
	}
	return nil, nil
}

// SetIntegrationStatus sets an integration's status. RUNNING (re)starts it with new start
// times and STOPPED stops its routes; any other value, such as "RESTART REQUIRED", only
// changes the status the API shows.
func (s *Sim) SetIntegrationStatus(key, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.integration(key)
	if in == nil {
		return fmt.Errorf("unknown integration %q", key)
	}
	switch status {
	case StatusRunning:
		if in.status != StatusRunning {
			in.start(s.now())
		}
	case StatusStopped:
		in.stop()
	default:
		in.status = status
	}
	return nil
}

// SetDetails sets the free text the API shows for a connector's incoming and outgoing
// side, such as "Partner not reachable"; empty clears it.
func (s *Sim) SetDetails(connectorKey, incoming, outgoing string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, c := s.findConnector(connectorKey)
	if c == nil {
		return fmt.Errorf("unknown connector %q", connectorKey)
	}
	c.incomingDetails, c.outgoingDetails = incoming, outgoing
	return nil
}

// SetOnline marks a connector's partner reachable or not; an offline connector is
// reconnecting and keeps its messages in SEND.
func (s *Sim) SetOnline(connectorKey string, online bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, c := s.findConnector(connectorKey)
	if c == nil {
		return fmt.Errorf("unknown connector %q", connectorKey)
	}
	c.online, c.reconnecting = online, !online
	return nil
}
