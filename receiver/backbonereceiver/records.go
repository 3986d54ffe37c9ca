package backbonereceiver

import (
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/msgtrack"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// Event names and record attributes, as in metadata.yaml; records_test.go checks each
// record against what the generated builder makes of the same event.
const (
	eventMessageResolved = "backbone.message.resolved"
	eventStatusChanged   = "backbone.integration.status_changed"
	eventOnlineChanged   = "backbone.connector.online_changed"
	eventDetailsChanged  = "backbone.connector.details_changed"

	attrConnectorKey = "backbone.connector.key"
	attrBaseURL      = "backbone.connector.base_url"
	attrInDetails    = "backbone.connector.incoming_details"
	attrOutDetails   = "backbone.connector.outgoing_details"
	attrDirection    = "backbone.direction"
	attrProjectKey   = "jira.project.key"
	attrFolder       = "backbone.folder"
	attrIssue        = "backbone.issue"
	attrFileName     = "file.name"
	attrFilePath     = "file.path"
	attrFileSize     = "file.size"
	attrTimeInFolder = "backbone.message.time_in_folder"
	attrFoundAtStart = "backbone.message.found_at_start"
	attrOnline       = "backbone.connector.online"
	// attrEventName repeats the record's event name for backends that drop the OTLP
	// EventName field (Datadog, Loki): it is the only way to tell the events apart there.
	attrEventName     = "event.name"
	attrState         = "backbone.integration.state"
	attrPreviousState = "backbone.integration.previous_state"
)

// messageFolder is everything about the event of one watched folder. Adding a watched
// folder is one row here (plus its event in metadata.yaml).
type messageFolder struct {
	folder   queuetree.Folder
	event    string
	severity plog.SeverityNumber
	enabled  func(metadata.EventsConfig) bool
	// held folders heal by themselves (the vendor says so): their event waits until a
	// message has stayed stuck_after, and carries the time it waited.
	held bool
	// needsPerson folders keep a message until a person acts on it: start_at:
	// needs_attention reports those already there at the first start.
	needsPerson bool
	// body tells a person what a new message m in where (integration/connector) means.
	body func(m *msgtrack.Message, where string) string
}

var messageFolders = []messageFolder{
	{
		folder: queuetree.Error, needsPerson: true, event: "backbone.message.error", severity: plog.SeverityNumberError,
		enabled: func(c metadata.EventsConfig) bool { return c.BackboneMessageError.Enabled },
		body: func(m *msgtrack.Message, where string) string {
			return fmt.Sprintf("message %s%s failed to apply in %s", m.Name, forIssue(m), where)
		},
	},
	{
		folder: queuetree.SequenceError, held: true, event: "backbone.message.sequence_error", severity: plog.SeverityNumberWarn,
		enabled: func(c metadata.EventsConfig) bool { return c.BackboneMessageSequenceError.Enabled },
		body: func(m *msgtrack.Message, where string) string {
			return fmt.Sprintf("message %s in %s is held back: an earlier message of its issue is missing", m.Name, where)
		},
	},
	{
		folder: queuetree.SendError, needsPerson: true, event: "backbone.message.send_error", severity: plog.SeverityNumberError,
		enabled: func(c metadata.EventsConfig) bool { return c.BackboneMessageSendError.Enabled },
		body: func(m *msgtrack.Message, where string) string {
			return fmt.Sprintf("message %s failed to be sent from %s to its partner", m.Name, where)
		},
	},
	{
		folder: queuetree.IssueMissing, held: true, event: "backbone.message.issue_missing", severity: plog.SeverityNumberWarn,
		enabled: func(c metadata.EventsConfig) bool { return c.BackboneMessageIssueMissing.Enabled },
		body: func(m *msgtrack.Message, where string) string {
			return fmt.Sprintf("message %s in %s waits for issue %s, which is not synchronized yet", m.Name, where, m.Issue)
		},
	},
	{
		folder: queuetree.Offline, held: true, event: "backbone.message.offline", severity: plog.SeverityNumberWarn,
		enabled: func(c metadata.EventsConfig) bool { return c.BackboneMessageOffline.Enabled },
		body: func(m *msgtrack.Message, where string) string {
			return fmt.Sprintf("message %s in %s was not applied because Jira was offline", m.Name, where)
		},
	},
	{
		folder: queuetree.Invalid, event: "backbone.message.invalid", severity: plog.SeverityNumberWarn,
		enabled: func(c metadata.EventsConfig) bool { return c.BackboneMessageInvalid.Enabled },
		body: func(m *msgtrack.Message, where string) string {
			return fmt.Sprintf("file %s in %s is not a Backbone message", m.Name, where)
		},
	},
}

// heldFolders maps the backbone.folder value of each held folder to stuckAfter, the
// tracker's Hold.
func heldFolders(stuckAfter time.Duration) map[string]time.Duration {
	hold := map[string]time.Duration{}
	for _, mf := range messageFolders {
		if mf.held {
			hold[string(mf.folder)] = stuckAfter
		}
	}
	return hold
}

// messageFolderOf returns the row of f, or nil for a folder without events.
func messageFolderOf(f queuetree.Folder) *messageFolder {
	for i := range messageFolders {
		if messageFolders[i].folder == f {
			return &messageFolders[i]
		}
	}
	return nil
}

func forIssue(m *msgtrack.Message) string {
	if m.Issue == "" {
		return ""
	}
	return " for issue " + m.Issue
}

// recordBuilder turns events into log records, each in the resource of its integration
// (the same resource as the integration's metrics), in the order the events happened.
type recordBuilder struct {
	events    metadata.EventsConfig
	lb        *metadata.LogsBuilder
	origin    origin
	resources map[string]integrationResource // by integration key, as last read from the API
}

func newRecordBuilder(cfg *Config, set receiver.Settings) *recordBuilder {
	return &recordBuilder{
		events: cfg.Events,
		lb: metadata.NewLogsBuilder(metadata.LogsBuilderConfig{
			Events:             cfg.Events,
			ResourceAttributes: cfg.ResourceAttributes,
		}, set),
		origin:    originOf(cfg),
		resources: map[string]integrationResource{},
	}
}

// learnResources keeps what the API says of the integrations for the resources of later records.
func (b *recordBuilder) learnResources(integrations []backboneapi.Integration) {
	for i := range integrations {
		b.resources[integrations[i].IntegrationKey] = resourceOf(&integrations[i])
	}
}

// build returns the records of events, in their order: consecutive events of one
// integration share a resource. Events whose record is switched off have none.
func (b *recordBuilder) build(events []msgtrack.Event) plog.Logs {
	for i := 0; i < len(events); {
		integration := integrationOf(&events[i])
		for ; i < len(events) && integrationOf(&events[i]) == integration; i++ {
			lr := plog.NewLogRecord()
			if b.fill(lr, integration, &events[i]) {
				b.lb.AppendLogRecord(lr)
			}
		}
		rb := b.lb.NewResourceBuilder()
		b.resources[integration].set(rb, integration, b.origin)
		b.lb.EmitForResource(metadata.WithLogsResource(rb.Emit()))
	}
	return b.lb.Emit()
}

func integrationOf(ev *msgtrack.Event) string {
	if ev.Kind == msgtrack.KindAppeared || ev.Kind == msgtrack.KindResolved {
		return ev.Message.Integration
	}
	return ev.Integration
}

// fill sets everything of the record of ev: name, times, severity, body and attributes.
// It returns false when that event is switched off.
func (b *recordBuilder) fill(lr plog.LogRecord, integration string, ev *msgtrack.Event) bool {
	var (
		name     string
		severity plog.SeverityNumber
		body     string
	)
	attrs := lr.Attributes()
	switch ev.Kind {
	case msgtrack.KindStatusChanged:
		if !b.events.BackboneIntegrationStatusChanged.Enabled {
			return false
		}
		name, severity = eventStatusChanged, plog.SeverityNumberInfo
		if ev.PreviousState == "running" && ev.State != "running" {
			severity = plog.SeverityNumberWarn
		}
		body = fmt.Sprintf("integration %s changed from %s to %s", integration, ev.PreviousState, ev.State)
		attrs.PutStr(attrState, ev.State)
		attrs.PutStr(attrPreviousState, ev.PreviousState)
	case msgtrack.KindOnlineChanged:
		if !b.events.BackboneConnectorOnlineChanged.Enabled {
			return false
		}
		name = eventOnlineChanged
		if ev.Online {
			severity, body = plog.SeverityNumberInfo, fmt.Sprintf("connector %s of %s is online again", ev.Connector, integration)
		} else {
			severity, body = plog.SeverityNumberWarn, fmt.Sprintf("connector %s of %s went offline: %s", ev.Connector, integration, checkJira(ev.BaseURL))
		}
		putConnector(attrs, ev.Connector, ev.ProjectKey, ev.BaseURL)
		attrs.PutBool(attrOnline, ev.Online)
		putIfSet(attrs, attrInDetails, ev.IncomingDetails)
		putIfSet(attrs, attrOutDetails, ev.OutgoingDetails)
	case msgtrack.KindDetailsChanged:
		if !b.events.BackboneConnectorDetailsChanged.Enabled {
			return false
		}
		name, severity, body = eventDetailsChanged, plog.SeverityNumberWarn, ev.Details
		if ev.Details == "" {
			severity = plog.SeverityNumberInfo
			body = fmt.Sprintf("Backbone's %s details of connector %s of %s are cleared", ev.Direction, ev.Connector, integration)
		}
		putConnector(attrs, ev.Connector, ev.ProjectKey, ev.BaseURL)
		attrs.PutStr(attrDirection, ev.Direction)
	case msgtrack.KindResolved:
		if !b.events.BackboneMessageResolved.Enabled {
			return false
		}
		m := &ev.Message
		name, severity = eventMessageResolved, plog.SeverityNumberInfo
		body = fmt.Sprintf("message %s%s left %s of %s/%s after %s",
			m.Name, forIssue(m), m.Folder, integration, m.Connector, ev.TimeInFolder.Round(time.Second))
		putMessage(attrs, m)
		attrs.PutDouble(attrTimeInFolder, ev.TimeInFolder.Seconds())
	case msgtrack.KindAppeared:
		m := &ev.Message
		mf := messageFolderOf(queuetree.Folder(m.Folder))
		if mf == nil || !mf.enabled(b.events) {
			return false
		}
		name, severity = mf.event, mf.severity
		body = mf.body(m, integration+"/"+m.Connector)
		putMessage(attrs, m)
		found := !m.Found.IsZero()
		if found {
			body += "; found at the receiver's first start"
			attrs.PutBool(attrFoundAtStart, true)
		}
		switch {
		case mf.held:
			if ev.TimeInFolder > 0 {
				body += fmt.Sprintf("; it has waited %s", ev.TimeInFolder.Round(time.Second))
			}
			attrs.PutDouble(attrTimeInFolder, ev.TimeInFolder.Seconds())
		case found && ev.TimeInFolder > 0:
			body += fmt.Sprintf(", in its folder for %s", ev.TimeInFolder.Round(time.Second))
		}
	default:
		return false
	}
	lr.SetEventName(name)
	attrs.PutStr(attrEventName, name)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.Time()))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(ev.Observed))
	lr.SetSeverityNumber(severity)
	lr.SetSeverityText(strings.ToUpper(severity.String()))
	lr.Body().SetStr(body)
	return true
}

// checkJira tells an admin what to check when a connector on the Jira at baseURL is offline.
func checkJira(baseURL string) string {
	if baseURL == "" {
		return "check that its Jira is up and reachable from the Jira running this synchronization (DNS, proxy, firewall, TLS certificate), then the connection's user in the integration"
	}
	return fmt.Sprintf("check that the Jira at %s is up and reachable from the Jira running this synchronization (DNS, proxy, firewall, TLS certificate), then the connection's user in the integration", baseURL)
}

// putConnector sets the attributes every connector record carries.
func putConnector(attrs pcommon.Map, connector, project, baseURL string) {
	attrs.PutStr(attrConnectorKey, connector)
	attrs.PutStr(attrProjectKey, project)
	putIfSet(attrs, attrBaseURL, baseURL)
}

func putIfSet(attrs pcommon.Map, key, value string) {
	if value != "" {
		attrs.PutStr(key, value)
	}
}

// putMessage sets the attributes every message record carries, in metadata.yaml's order.
func putMessage(attrs pcommon.Map, m *msgtrack.Message) {
	putConnector(attrs, m.Connector, m.ProjectKey, m.BaseURL)
	attrs.PutStr(attrFolder, m.Folder)
	attrs.PutStr(attrFileName, m.Name)
	attrs.PutStr(attrFilePath, m.Path)
	attrs.PutInt(attrFileSize, m.Size)
	if m.Issue != "" {
		attrs.PutStr(attrIssue, m.Issue)
	}
}

// describeForLog names an event in a log line: its kind and what it concerns.
func describeForLog(ev *msgtrack.Event) string {
	switch ev.Kind {
	case msgtrack.KindAppeared, msgtrack.KindResolved:
		return string(ev.Kind) + " " + ev.Message.Path
	case msgtrack.KindOnlineChanged, msgtrack.KindDetailsChanged:
		return string(ev.Kind) + " " + ev.Integration + "/" + ev.Connector
	}
	return string(ev.Kind) + " " + ev.Integration
}
