package backbonereceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/msgtrack"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// TestRecordsMatchGeneratedBuilder builds the record of each event both ways: with the
// receiver's own code and with the builder mdatagen generates from metadata.yaml. Name,
// timestamp and attributes must agree, so that an event or attribute renamed in
// metadata.yaml cannot silently part from what the receiver sends.
func TestRecordsMatchGeneratedBuilder(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	seen := at.Add(time.Minute)
	ts, observed := pcommon.NewTimestampFromTime(at), pcommon.NewTimestampFromTime(seen)
	msg := msgtrack.Message{
		Integration: "INT-16", Connector: "AP-29", ProjectKey: "AP", Issue: "AP-123",
		Name: "000123.bac", Path: "/tree/default/INT-16/AP-29/RECEIVE/error/AP-123/000123.bac", Size: 42, ModTime: at,
		Entered: at, BaseURL: "http://localhost:8081/jira2",
	}
	base := metadata.WithBackboneConnectorBaseURLEventAttribute(msg.BaseURL)
	type recordFunc func(lb *metadata.LogsBuilder)
	messageCase := func(folder queuetree.Folder) (msgtrack.Event, recordFunc) {
		m := msg
		m.Folder = string(folder)
		attr := metadata.MapAttributeBackboneFolder[string(folder)]
		issue := metadata.WithBackboneIssueEventAttribute(m.Issue)
		ev := msgtrack.Event{Kind: msgtrack.KindAppeared, Message: m, Observed: seen}
		if messageFolderOf(folder).held {
			ev.TimeInFolder = 16 * time.Minute
		}
		const waited = 16 * 60
		return ev, func(lb *metadata.LogsBuilder) {
			record := map[queuetree.Folder]func(){
				queuetree.Error: func() {
					lb.RecordBackboneMessageErrorEvent(t.Context(), ts, m.Connector, m.ProjectKey, attr, m.Name, m.Path, m.Size, issue, base)
				},
				queuetree.SequenceError: func() {
					lb.RecordBackboneMessageSequenceErrorEvent(t.Context(), ts, m.Connector, m.ProjectKey, attr, m.Name, m.Path, m.Size, waited, issue, base)
				},
				queuetree.SendError: func() {
					lb.RecordBackboneMessageSendErrorEvent(t.Context(), ts, m.Connector, m.ProjectKey, attr, m.Name, m.Path, m.Size, issue, base)
				},
				queuetree.IssueMissing: func() {
					lb.RecordBackboneMessageIssueMissingEvent(t.Context(), ts, m.Connector, m.ProjectKey, attr, m.Name, m.Path, m.Size, waited, issue, base)
				},
				queuetree.Offline: func() {
					lb.RecordBackboneMessageOfflineEvent(t.Context(), ts, m.Connector, m.ProjectKey, attr, m.Name, m.Path, m.Size, waited, issue, base)
				},
				queuetree.Invalid: func() {
					lb.RecordBackboneMessageInvalidEvent(t.Context(), ts, m.Connector, m.ProjectKey, attr, m.Name, m.Path, m.Size, issue, base)
				},
			}[folder]
			require.NotNil(t, record, "a generated record method for %s", folder)
			record()
		}
	}
	tests := []struct {
		desc   string
		event  msgtrack.Event
		record recordFunc
	}{
		{
			desc:  "resolved",
			event: msgtrack.Event{Kind: msgtrack.KindResolved, Message: func() msgtrack.Message { m := msg; m.Folder = "error"; return m }(), Observed: seen, TimeInFolder: time.Minute},
			record: func(lb *metadata.LogsBuilder) {
				lb.RecordBackboneMessageResolvedEvent(t.Context(), observed, msg.Connector, msg.ProjectKey, metadata.AttributeBackboneFolderError,
					msg.Name, msg.Path, msg.Size, 60, metadata.WithBackboneIssueEventAttribute(msg.Issue), base)
			},
		},
		{
			desc:  "status changed",
			event: msgtrack.Event{Kind: msgtrack.KindStatusChanged, Integration: "INT-16", State: "stopped", PreviousState: "running", Observed: seen},
			record: func(lb *metadata.LogsBuilder) {
				lb.RecordBackboneIntegrationStatusChangedEvent(t.Context(), observed, "stopped", "running")
			},
		},
		{
			desc: "online changed",
			event: msgtrack.Event{
				Kind: msgtrack.KindOnlineChanged, Integration: "INT-16", Connector: "PB-30", ProjectKey: "PB", Online: false, Observed: seen,
				BaseURL: msg.BaseURL, OutgoingDetails: "Partner not reachable",
			},
			record: func(lb *metadata.LogsBuilder) {
				lb.RecordBackboneConnectorOnlineChangedEvent(t.Context(), observed, "PB-30", "PB", false, base,
					metadata.WithBackboneConnectorOutgoingDetailsEventAttribute("Partner not reachable"))
			},
		},
		{
			desc: "details changed",
			event: msgtrack.Event{
				Kind: msgtrack.KindDetailsChanged, Integration: "INT-16", Connector: "PB-30", ProjectKey: "PB", Observed: seen,
				BaseURL: msg.BaseURL, Direction: "outgoing", Details: "Partner not reachable",
			},
			record: func(lb *metadata.LogsBuilder) {
				lb.RecordBackboneConnectorDetailsChangedEvent(t.Context(), observed, "PB-30", "PB", metadata.AttributeBackboneDirectionOutgoing, base)
			},
		},
	}
	for _, mf := range messageFolders {
		ev, record := messageCase(mf.folder)
		tests = append(tests, struct {
			desc   string
			event  msgtrack.Event
			record recordFunc
		}{desc: mf.event, event: ev, record: record})
	}
	// A message found at the first start: timed when found, marked so.
	for _, f := range []queuetree.Folder{queuetree.Error, queuetree.SendError, queuetree.SequenceError} {
		ev, _ := messageCase(f)
		ev.Message.Found = seen
		m := ev.Message
		attr := metadata.MapAttributeBackboneFolder[m.Folder]
		opts := []metadata.EventAttributeOption{
			metadata.WithBackboneIssueEventAttribute(m.Issue), base, metadata.WithBackboneMessageFoundAtStartEventAttribute(true),
		}
		tests = append(tests, struct {
			desc   string
			event  msgtrack.Event
			record recordFunc
		}{desc: string(f) + " found at start", event: ev, record: func(lb *metadata.LogsBuilder) {
			switch f {
			case queuetree.Error:
				lb.RecordBackboneMessageErrorEvent(t.Context(), observed, m.Connector, m.ProjectKey, attr, m.Name, m.Path, m.Size, opts...)
			case queuetree.SendError:
				lb.RecordBackboneMessageSendErrorEvent(t.Context(), observed, m.Connector, m.ProjectKey, attr, m.Name, m.Path, m.Size, opts...)
			default:
				lb.RecordBackboneMessageSequenceErrorEvent(t.Context(), observed, m.Connector, m.ProjectKey, attr, m.Name, m.Path, m.Size, 16*60, opts...)
			}
		}})
	}

	cfg := createDefaultConfig().(*Config)
	cfg.Events = allEventsOn()
	set := receivertest.NewNopSettings(metadata.Type)
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			ours := newRecordBuilder(cfg, set).build([]msgtrack.Event{tt.event})
			lb := metadata.NewLogsBuilder(metadata.LogsBuilderConfig{Events: cfg.Events, ResourceAttributes: cfg.ResourceAttributes}, set)
			tt.record(lb)
			theirs := lb.Emit()
			require.Equal(t, 1, ours.LogRecordCount())
			require.Equal(t, 1, theirs.LogRecordCount())
			a, b := onlyRecord(ours), onlyRecord(theirs)
			assert.Equal(t, b.EventName(), a.EventName())
			assert.Equal(t, b.Timestamp(), a.Timestamp())
			want := b.Attributes().AsRaw()
			want["event.name"] = b.EventName() // for backends that drop EventName
			assert.Equal(t, want, a.Attributes().AsRaw())
			assert.NotEmpty(t, a.Body().Str())
			assert.NotZero(t, a.SeverityNumber())
			assert.Equal(t, observed, a.ObservedTimestamp())
		})
	}
}

// TestRecordsSwitchedOff checks that an event switched off gives no record and that the
// records of one integration in a row share a resource, in order.
func TestRecordsSwitchedOff(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Events.BackboneMessageResolved.Enabled = false
	b := newRecordBuilder(cfg, receivertest.NewNopSettings(metadata.Type))
	now := time.Now()
	m := func(integration, path string) msgtrack.Message {
		return msgtrack.Message{Integration: integration, Connector: "AP-1", Folder: "error", Name: path, Path: path, ModTime: now}
	}
	ld := b.build([]msgtrack.Event{
		{Kind: msgtrack.KindAppeared, Message: m("INT-1", "/a"), Observed: now},
		{Kind: msgtrack.KindResolved, Message: m("INT-1", "/b"), Observed: now},
		{Kind: msgtrack.KindAppeared, Message: m("INT-1", "/c"), Observed: now},
		{Kind: msgtrack.KindAppeared, Message: m("INT-2", "/d"), Observed: now},
		{Kind: msgtrack.KindAppeared, Message: m("INT-1", "/e"), Observed: now},
	})
	var got []string
	for _, rl := range ld.ResourceLogs().All() {
		key, _ := rl.Resource().Attributes().Get("backbone.integration.key")
		for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
			p, _ := lr.Attributes().Get("file.path")
			got = append(got, key.Str()+" "+p.Str())
		}
	}
	assert.Equal(t, []string{"INT-1 /a", "INT-1 /c", "INT-2 /d", "INT-1 /e"}, got)
	assert.Equal(t, 3, ld.ResourceLogs().Len())
}

func allEventsOn() metadata.EventsConfig {
	cfg := metadata.DefaultEventsConfig()
	cfg.BackboneMessageIssueMissing.Enabled = true
	cfg.BackboneMessageOffline.Enabled = true
	cfg.BackboneMessageInvalid.Enabled = true
	return cfg
}

func onlyRecord(ld plog.Logs) plog.LogRecord {
	return ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
}

// TestFolderTables checks that the receiver's table of message events and the folder
// layout agree: a folder has an event exactly when its files are listed one by one, and
// every folder has its backbone.folder value in metadata.yaml.
func TestFolderTables(t *testing.T) {
	for _, f := range queuetree.Folders {
		assert.Equal(t, f.Watched(), messageFolderOf(f) != nil, "folder %s", f)
		_, ok := metadata.MapAttributeBackboneFolder[string(f)]
		assert.True(t, ok, "backbone.folder value %s in metadata.yaml", f)
	}
	assert.Len(t, metadata.MapAttributeBackboneFolder, queuetree.NumFolders)
}
