package backbonereceiver

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-backbone/otelcol-backbone/internal/msgtrack"
	"github.com/otelcol-backbone/otelcol-backbone/internal/queuetree"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

// Event names, as in metadata.yaml.
const (
	eventMessageError         = "backbone.message.error"
	eventMessageSequenceError = "backbone.message.sequence_error"
	eventMessageSendError     = "backbone.message.send_error"
	eventMessageIssueMissing  = "backbone.message.issue_missing"
	eventMessageOffline       = "backbone.message.offline"
	eventMessageInvalid       = "backbone.message.invalid"
	eventMessageResolved      = "backbone.message.resolved"
	eventStatusChanged        = "backbone.integration.status_changed"
	eventOnlineChanged        = "backbone.connector.online_changed"
)

// buildLogs turns pending events into log records, one resource per integration (the same
// resource as the integration's metrics), in the order the events happened.
func (e *eventsScraper) buildLogs(ctx context.Context, snap *snapshot, pending []msgtrack.Event) plog.Logs {
	summaries := map[string]string{}
	if snap.api != nil {
		for _, it := range snap.api.integrations {
			summaries[it.IntegrationKey] = it.Summary
		}
	}
	var order []string
	byIntegration := map[string][]*msgtrack.Event{}
	for i := range pending {
		key := integrationOf(&pending[i])
		if _, ok := byIntegration[key]; !ok {
			order = append(order, key)
		}
		byIntegration[key] = append(byIntegration[key], &pending[i])
	}
	out := plog.NewLogs()
	for _, key := range order {
		events := byIntegration[key]
		names := make([]string, len(events))
		for i, ev := range events {
			names[i] = e.record(ctx, ev)
		}
		rb := e.lb.NewResourceBuilder()
		rb.SetBackboneIntegrationKey(key)
		if summary := summaries[key]; summary != "" {
			rb.SetBackboneIntegrationSummary(summary)
		}
		if e.baseURL != "" {
			rb.SetJiraBaseURL(e.baseURL)
		}
		ld := e.lb.Emit(metadata.WithLogsResource(rb.Emit()))
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				inEventOrder(sl.LogRecords(), key, events, names)
			}
		}
		ld.ResourceLogs().MoveAndAppendTo(out.ResourceLogs())
	}
	return out
}

// inEventOrder puts the records of one integration back in the order of their events and
// describes each. The builder groups records by event name (keeping the order within a
// name), which would put a message's resolved record before its error record when both
// wait in one delivery. Events whose record is switched off have none.
func inEventOrder(records plog.LogRecordSlice, integration string, events []*msgtrack.Event, names []string) {
	byName := map[string][]plog.LogRecord{}
	for _, lr := range records.All() {
		byName[lr.EventName()] = append(byName[lr.EventName()], lr)
	}
	ordered := plog.NewLogRecordSlice()
	ordered.EnsureCapacity(records.Len())
	for i, ev := range events {
		q := byName[names[i]]
		if len(q) == 0 {
			continue
		}
		lr := ordered.AppendEmpty()
		q[0].MoveTo(lr)
		byName[names[i]] = q[1:]
		describe(lr, integration, ev)
	}
	records.RemoveIf(func(plog.LogRecord) bool { return true })
	ordered.MoveAndAppendTo(records)
}

func integrationOf(ev *msgtrack.Event) string {
	if ev.Kind == msgtrack.KindAppeared || ev.Kind == msgtrack.KindResolved {
		return ev.Message.Integration
	}
	return ev.Integration
}

// record records one event with the generated builder and returns its event name.
func (e *eventsScraper) record(ctx context.Context, ev *msgtrack.Event) string {
	switch ev.Kind {
	case msgtrack.KindStatusChanged:
		e.lb.RecordBackboneIntegrationStatusChangedEvent(ctx, pcommon.NewTimestampFromTime(ev.Observed), ev.State, ev.PreviousState)
		return eventStatusChanged
	case msgtrack.KindOnlineChanged:
		e.lb.RecordBackboneConnectorOnlineChangedEvent(ctx, pcommon.NewTimestampFromTime(ev.Observed), ev.Connector, ev.ProjectKey, ev.Online)
		return eventOnlineChanged
	}
	m := ev.Message
	folder := metadata.MapAttributeBackboneFolder[m.Folder]
	var opts []metadata.EventAttributeOption
	if m.Issue != "" {
		opts = append(opts, metadata.WithBackboneIssueEventAttribute(m.Issue))
	}
	if ev.Kind == msgtrack.KindResolved {
		e.lb.RecordBackboneMessageResolvedEvent(ctx, pcommon.NewTimestampFromTime(ev.Observed), m.Connector, m.ProjectKey,
			folder, m.Name, m.Path, m.Size, ev.TimeInFolder.Seconds(), opts...)
		return eventMessageResolved
	}
	name, recordEvent := e.messageEvent(queuetree.Folder(m.Folder))
	if recordEvent != nil {
		recordEvent(ctx, pcommon.NewTimestampFromTime(m.ModTime), m.Connector, m.ProjectKey, folder, m.Name, m.Path, m.Size, opts...)
	}
	return name
}

// recordMessageFunc is the shape of the generated Record...Event methods of message events.
type recordMessageFunc func(context.Context, pcommon.Timestamp, string, string, metadata.AttributeBackboneFolder, string, string, int64, ...metadata.EventAttributeOption)

// messageEvent names the event of a new message in a watched folder and its record method.
func (e *eventsScraper) messageEvent(f queuetree.Folder) (string, recordMessageFunc) {
	switch f {
	case queuetree.Error:
		return eventMessageError, e.lb.RecordBackboneMessageErrorEvent
	case queuetree.SequenceError:
		return eventMessageSequenceError, e.lb.RecordBackboneMessageSequenceErrorEvent
	case queuetree.SendError:
		return eventMessageSendError, e.lb.RecordBackboneMessageSendErrorEvent
	case queuetree.IssueMissing:
		return eventMessageIssueMissing, e.lb.RecordBackboneMessageIssueMissingEvent
	case queuetree.Offline:
		return eventMessageOffline, e.lb.RecordBackboneMessageOfflineEvent
	case queuetree.Invalid:
		return eventMessageInvalid, e.lb.RecordBackboneMessageInvalidEvent
	}
	return "", nil
}

// describe sets what the generated builder does not: severity, observed time and a one-line
// body a person can read in any backend.
func describe(lr plog.LogRecord, integration string, ev *msgtrack.Event) {
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(ev.Observed))
	severity, body := describeEvent(integration, ev)
	lr.SetSeverityNumber(severity)
	lr.SetSeverityText(strings.ToUpper(severity.String()))
	lr.Body().SetStr(body)
}

func describeEvent(integration string, ev *msgtrack.Event) (plog.SeverityNumber, string) {
	switch ev.Kind {
	case msgtrack.KindStatusChanged:
		body := fmt.Sprintf("integration %s changed from %s to %s", integration, ev.PreviousState, ev.State)
		if ev.PreviousState == "running" && ev.State != "running" {
			return plog.SeverityNumberWarn, body
		}
		return plog.SeverityNumberInfo, body
	case msgtrack.KindOnlineChanged:
		if ev.Online {
			return plog.SeverityNumberInfo, fmt.Sprintf("connector %s of %s is online again", ev.Connector, integration)
		}
		return plog.SeverityNumberWarn, fmt.Sprintf("connector %s of %s went offline", ev.Connector, integration)
	}
	m := ev.Message
	where := integration + "/" + m.Connector
	forIssue := ""
	if m.Issue != "" {
		forIssue = " for issue " + m.Issue
	}
	if ev.Kind == msgtrack.KindResolved {
		return plog.SeverityNumberInfo, fmt.Sprintf("message %s%s left %s of %s after %s",
			m.Name, forIssue, m.Folder, where, ev.TimeInFolder.Round(time.Second))
	}
	switch queuetree.Folder(m.Folder) {
	case queuetree.Error:
		return plog.SeverityNumberError, fmt.Sprintf("message %s%s failed to apply in %s", m.Name, forIssue, where)
	case queuetree.SendError:
		return plog.SeverityNumberError, fmt.Sprintf("message %s failed to be sent from %s to its partner", m.Name, where)
	case queuetree.SequenceError:
		return plog.SeverityNumberWarn, fmt.Sprintf("message %s in %s is held back: an earlier message of its issue is missing", m.Name, where)
	case queuetree.IssueMissing:
		return plog.SeverityNumberWarn, fmt.Sprintf("message %s in %s waits for issue %s, which is not synchronized yet", m.Name, where, m.Issue)
	case queuetree.Offline:
		return plog.SeverityNumberWarn, fmt.Sprintf("message %s in %s was not applied because Jira was offline", m.Name, where)
	case queuetree.Invalid:
		return plog.SeverityNumberWarn, fmt.Sprintf("file %s in %s is not a Backbone message", m.Name, where)
	}
	return plog.SeverityNumberUnspecified, ""
}
