// Package backboneapi is a client for the REST API of Backbone Issue Sync, a
// Jira Server/Data Center app that synchronizes issues between Jira projects.
package backboneapi

import (
	"net/url"
	"strings"
)

// APIPath is appended to the Jira base URL, which may carry a context path.
const APIPath = "plugins/servlet/backbone-issue-sync/api/1/"

// The structs below mirror the API's JSON. Every field is optional and
// unknown fields are ignored, because the vendor reserves the right to
// change the API at any time.

// Integration is one synchronization between two Jira projects.
type Integration struct {
	IntegrationKey     string             `json:"integrationKey"`
	Summary            string             `json:"summary"`
	Description        string             `json:"description"`
	CreatedUser        string             `json:"createdUser"`
	LastModifiedUser   string             `json:"lastModifiedUser"`
	CreatedDate        string             `json:"createdDate"`      // e.g. 2016-11-10T11:07:10+0100
	LastModifiedDate   string             `json:"lastModifiedDate"` // same format
	Distributed        bool               `json:"distributed"`
	Master             *bool              `json:"master"` // only on distributed integrations
	PartnerProjectType string             `json:"partnerProjectType"`
	Status             *IntegrationStatus `json:"status"`
	FirstConnector     *Connector         `json:"firstConnector"`
	SecondConnector    *Connector         `json:"secondConnector"` // absent when distributed
	// Unread lists the JSON paths of fields left out because their type
	// changed beyond recognition, e.g. "status.firstConnector.issuesInError".
	Unread []string `json:"-"`
}

// IntegrationStatus is the runtime state of an integration and its connectors.
type IntegrationStatus struct {
	Status          string           `json:"status"`
	FirstConnector  *ConnectorStatus `json:"firstConnector"`
	SecondConnector *ConnectorStatus `json:"secondConnector"`
	// Unread is Integration.Unread for a status read on its own.
	Unread []string `json:"-"`
}

// ConnectorStatus is the runtime state of one side of an integration.
type ConnectorStatus struct {
	ConnectorKey             string `json:"connectorKey"`
	StartTime                *int64 `json:"startTime" lenient:"epochms"` // epoch ms, absent when stopped
	Online                   bool   `json:"online"`
	Reconnecting             bool   `json:"reconnecting"`
	IncomingRouteStatus      string `json:"incomingRouteStatus"`
	OutgoingRouteStatus      string `json:"outgoingRouteStatus"`
	ExternalRouteStatus      string `json:"externalRouteStatus"`
	IncomingProcessingStatus string `json:"incomingProcessingStatus"`
	OutgoingProcessingStatus string `json:"outgoingProcessingStatus"`
	IncomingDetails          string `json:"incomingDetails"`
	OutgoingDetails          string `json:"outgoingDetails"`
	IssuesInError            int64  `json:"issuesInError"`
}

// Connector is the configuration of one side of an integration.
type Connector struct {
	ConnectorKey     string     `json:"connectorKey"`
	ProjectKey       string     `json:"projectKey"`
	CreatedUser      string     `json:"createdUser"`
	LastModifiedUser string     `json:"lastModifiedUser"`
	CreatedDate      string     `json:"createdDate"`
	LastModifiedDate string     `json:"lastModifiedDate"`
	Connection       Connection `json:"connection"`
}

// Connection says which Jira a connector talks to and how messages travel.
type Connection struct {
	Application Application     `json:"application"`
	Connector   ConnectorConfig `json:"connector"`
}

// Application is the Jira instance of a connector.
type Application struct {
	BaseURL string `json:"baseUrl"`
	User    string `json:"user"`
}

// ConnectorConfig holds a connector's message queues and polling delays.
type ConnectorConfig struct {
	SendQueue                   *Queue `json:"sendQueue"`
	ReceiveQueue                *Queue `json:"receiveQueue"`
	InitialInternalPollingDelay int64  `json:"initialInternalPollingDelay"` // ms
	InternalPollingInterval     int64  `json:"internalPollingInterval"`     // ms
}

// Queue is a message channel: "vm" queues have a Name, "file" queues a Path.
type Queue struct {
	Type string `json:"@type"`
	Name string `json:"name"`
	Path string `json:"path"`
}

// Connectors returns the non-nil connector states, first then second.
func (s *IntegrationStatus) Connectors() []ConnectorStatus {
	if s == nil {
		return nil
	}
	var out []ConnectorStatus
	for _, c := range []*ConnectorStatus{s.FirstConnector, s.SecondConnector} {
		if c != nil {
			out = append(out, *c)
		}
	}
	return out
}

// Connector returns the configuration of the connector with that key, the
// join between a connector's status and its configuration; nil when the
// integration does not list it.
func (i *Integration) Connector(connectorKey string) *Connector {
	if i == nil {
		return nil
	}
	for _, c := range []*Connector{i.FirstConnector, i.SecondConnector} {
		if c != nil && c.ConnectorKey == connectorKey {
			return c
		}
	}
	return nil
}

// ProjectKey returns the Jira project key of a connector, preferring the
// integration's configuration and falling back to the connector key itself.
func (i *Integration) ProjectKey(connectorKey string) string {
	if c := i.Connector(connectorKey); c != nil && c.ProjectKey != "" {
		return c.ProjectKey
	}
	return ProjectKeyFromConnectorKey(connectorKey)
}

// BaseURL returns the base URL of the Jira the connector lives on, without
// credentials or a trailing slash, so that it can be shown anywhere; "" when
// unknown.
func (c *Connector) BaseURL() string {
	if c == nil {
		return ""
	}
	raw := strings.TrimSpace(c.Connection.Application.BaseURL)
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		u.User = nil
		raw = u.String()
	} else if err != nil && strings.Contains(raw, "@") {
		return "" // unparsable and may hold a password
	}
	return strings.TrimRight(raw, "/")
}

// QueueType returns how the connector's messages travel, the lower-case
// @type of its send and receive queues ("vm", "file"): that of either when
// only one is given, "mixed" when they differ, "" when neither is.
func (c *Connector) QueueType() string {
	if c == nil {
		return ""
	}
	var types []string
	for _, q := range []*Queue{c.Connection.Connector.SendQueue, c.Connection.Connector.ReceiveQueue} {
		if q != nil && strings.TrimSpace(q.Type) != "" {
			types = append(types, strings.ToLower(strings.TrimSpace(q.Type)))
		}
	}
	switch {
	case len(types) == 0:
		return ""
	case len(types) == 2 && types[0] != types[1]:
		return "mixed"
	}
	return types[0]
}

// ProjectKeyFromConnectorKey derives the project key from a connector key
// ("AP-29" -> "AP"): Backbone appends "-<number>" to make it unique.
// It returns the input when there is no such suffix.
func ProjectKeyFromConnectorKey(connectorKey string) string {
	i := strings.LastIndexByte(connectorKey, '-')
	if i <= 0 || i == len(connectorKey)-1 {
		return connectorKey
	}
	for _, r := range connectorKey[i+1:] {
		if r < '0' || r > '9' {
			return connectorKey
		}
	}
	return connectorKey[:i]
}
