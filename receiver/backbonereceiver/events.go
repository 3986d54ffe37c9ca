package backbonereceiver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/msgtrack"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// maxRequestBytes bounds the OTLP protobuf size of one request to the next consumer, well
// under the smallest limit of a common backend (1 MB); a batch over it is halved.
const maxRequestBytes = 512 << 10

// eventsOutput turns what changed between snapshots into log records. The tracker decides
// what is new and keeps records pending until the next consumer has accepted them.
type eventsOutput struct {
	cfg       *Config
	id        component.ID
	logger    *zap.Logger
	next      consumer.Logs
	obs       *receiverhelper.ObsReport
	telemetry *metadata.TelemetryBuilder
	records   *recordBuilder

	tracker *msgtrack.Tracker
	storage storage.Client // nil: state lives in memory
	api     *apiSnapshot   // of the last full snapshot: the project keys of re-listed messages
	refused bool           // the last delivery attempt was refused or left unanswered
	// baselineCutoff, set at a takeover (see takeOver), limits start_at: end's baseline to
	// the messages that entered at or before it; zero: every message present.
	baselineCutoff time.Time

	call     *consumerCall    // the request in flight, left unanswered by a delivery; nil when none
	inFlight []msgtrack.Event // the pending events it carries, the first ones
}

func newEventsOutput(cfg *Config, set receiver.Settings, next consumer.Logs, obs *receiverhelper.ObsReport, telemetry *metadata.TelemetryBuilder) *eventsOutput {
	return &eventsOutput{
		cfg:       cfg,
		id:        set.ID,
		logger:    set.Logger,
		next:      next,
		obs:       obs,
		telemetry: telemetry,
		records:   newRecordBuilder(cfg, set),
		tracker:   newTracker(cfg),
	}
}

// newTracker returns an empty tracker that holds the events of self-healing folders back
// for stuck_after.
func newTracker(cfg *Config) *msgtrack.Tracker {
	t := msgtrack.New(0)
	t.Hold(heldFolders(cfg.StuckAfter))
	return t
}

// start opens the storage extension, if one is configured, and loads the tracker's state.
func (e *eventsOutput) start(ctx context.Context, host component.Host) error {
	if e.cfg.Storage == nil {
		return nil
	}
	ext, ok := host.GetExtensions()[*e.cfg.Storage]
	if !ok {
		return fmt.Errorf("storage extension %q not found: add it to the collector's extensions", e.cfg.Storage)
	}
	storageExt, ok := ext.(storage.Extension)
	if !ok {
		return fmt.Errorf("extension %q is not a storage extension", e.cfg.Storage)
	}
	client, err := storageExt.GetClient(ctx, component.KindReceiver, e.id, "")
	if err != nil {
		return fmt.Errorf("get storage client: %w", err)
	}
	e.storage = client
	if err := e.tracker.Load(ctx, client); errors.Is(err, msgtrack.ErrCorrupt) || errors.Is(err, msgtrack.ErrUnknownVersion) {
		e.logger.Warn("Stored message event state is unreadable; starting afresh as start_at says", zap.Error(err))
		e.tracker = newTracker(e.cfg)
	} else if err != nil {
		return fmt.Errorf("read message event state: %w", err)
	}
	// Files of a folder whose event was switched off since have not left it: forget them
	// without a resolved record.
	e.tracker.Retain(func(m msgtrack.Message) bool {
		mf := messageFolderOf(queuetree.Folder(m.Folder))
		return mf != nil && mf.enabled(e.cfg.Events)
	})
	return nil
}

func (e *eventsOutput) shutdown(ctx context.Context) error {
	if e.storage == nil {
		return nil
	}
	return e.storage.Close(ctx)
}

// observe lets the tracker compare snap with what it knew.
func (e *eventsOutput) observe(snap *snapshot) {
	if snap.tree != nil && e.judgeable(snap.tree) {
		msgs := e.watchedMessages(snap)
		if e.tracker.Fresh() && e.cfg.StartAt != StartAtBeginning {
			e.tracker.Baseline(snap.time, enteredBy(msgs, e.baselineCutoff), e.foundAtStart())
		}
		e.tracker.ObserveMessages(snap.time, msgs, unreadablePaths(snap.tree))
	}
	e.api = snap.api
	if snap.api != nil {
		e.records.learnResources(snap.api.integrations)
		if snap.api.err == nil {
			keys := make([]string, 0, len(snap.api.integrations))
			for _, it := range snap.api.integrations {
				keys = append(keys, it.IntegrationKey)
			}
			e.tracker.ForgetMissing(keys)
		}
		for _, it := range snap.api.integrations {
			if it.Status == nil {
				continue
			}
			e.tracker.ObserveIntegration(snap.time, it.IntegrationKey, backboneapi.NormalizeState(it.Status.Status))
			for _, c := range it.Status.Connectors() {
				e.tracker.ObserveConnector(snap.time, it.IntegrationKey, c.ConnectorKey, msgtrack.ConnectorState{
					ProjectKey:      it.ProjectKey(c.ConnectorKey),
					BaseURL:         it.Connector(c.ConnectorKey).BaseURL(),
					Online:          c.Online,
					IncomingDetails: c.IncomingDetails,
					OutgoingDetails: c.OutgoingDetails,
				})
			}
		}
	}
	e.reportDropped()
}

// foundAtStart tells which of the messages already there at the first start start_at
// reports: with needs_attention, those of the folders that need a person, and those of
// the folders that heal by themselves, which follow stuck_after from then; none otherwise,
// nor at a takeover (see takeOver): the leader before announced them, and a takeover at
// each rolling update must not announce them again.
func (e *eventsOutput) foundAtStart() func(msgtrack.Message) bool {
	if e.cfg.StartAt != StartAtNeedsAttention || !e.baselineCutoff.IsZero() {
		return nil
	}
	return func(m msgtrack.Message) bool {
		mf := messageFolderOf(queuetree.Folder(m.Folder))
		return mf != nil && (mf.needsPerson || mf.held)
	}
}

// observeFolders lets the tracker compare a re-list of some watched folders (snap.tree)
// with the files it knows there. Before the first full scan has been judged there is
// nothing to compare with, and a missing root proves nothing.
func (e *eventsOutput) observeFolders(snap *snapshot, folders []string) {
	if e.tracker.Fresh() || rootMissing(snap.tree) {
		return
	}
	msgs := e.watchedMessages(&snapshot{time: snap.time, api: e.api, tree: snap.tree})
	e.tracker.ObserveFolders(snap.time, folders, msgs, unreadablePaths(snap.tree))
	e.reportDropped()
}

// reportDropped counts and logs the events the tracker dropped since the last call.
func (e *eventsOutput) reportDropped() {
	if n := e.tracker.Dropped(); n > 0 {
		// The cap drops the oldest events first: those of the request in flight.
		e.inFlight = e.inFlight[min(n, len(e.inFlight)):]
		e.telemetry.BackboneEventsDropped.Add(context.Background(), int64(n))
		e.logger.Warn("Too many message events were waiting for delivery; the oldest were dropped", zap.Int("dropped", n))
	}
}

// deliver hands the pending events to the next consumer, oldest first, in requests of at
// most max_events_per_request records and maxRequestBytes, until all are accepted, one
// request is refused, or deadline comes without an answer (see consumerCall); the tracker
// counts a request's events delivered only once it was accepted. A request refused for
// good (a permanent error) is split until the record the consumer refuses is found; that
// record alone is dropped and logged.
func (e *eventsOutput) deliver(ctx context.Context, deadline time.Time) (err error) {
	defer func() {
		e.refused = err != nil
		e.telemetry.BackboneEventsPending.Record(context.Background(), int64(e.tracker.PendingCount()))
	}()
	limit := e.cfg.MaxEventsPerRequest
	if e.call != nil { // a request left unanswered by an earlier delivery
		if !e.call.answered() {
			return errUnanswered
		}
		if err := e.settle(&limit); err != nil {
			return err
		}
	}
	for e.tracker.PendingCount() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := e.tracker.Pending(limit)
		ld := e.records.build(batch)
		for len(batch) > 1 && (&plog.ProtoMarshaler{}).LogsSize(ld) > maxRequestBytes {
			batch = batch[:len(batch)/2]
			ld = e.records.build(batch)
		}
		e.call, e.inFlight = startCall(ctx, func(ctx context.Context) error { return e.consume(ctx, ld) }), batch
		if !e.call.wait(ctx, deadline) {
			return errUnanswered
		}
		if err := e.settle(&limit); err != nil {
			return err
		}
	}
	return nil
}

// settle takes the answer to the request in flight: its events are delivered once
// accepted, stay pending when refused (the error is returned), and a request refused for
// good lowers limit to half its size, or drops its one event.
func (e *eventsOutput) settle(limit *int) error {
	err, batch := e.call.err, e.inFlight
	e.call, e.inFlight = nil, nil
	switch {
	case len(batch) == 0: // the pending cap dropped them all meanwhile
	case err == nil:
		e.tracker.Delivered(len(batch))
	case !consumererror.IsPermanent(err):
		return err
	case len(batch) > 1:
		*limit = len(batch) / 2
	default:
		e.tracker.Delivered(1)
		*limit = e.cfg.MaxEventsPerRequest
		e.telemetry.BackboneEventsDropped.Add(context.Background(), 1)
		e.logger.Error("The next consumer refused a message event for good; it is dropped",
			zap.String("event", describeForLog(&batch[0])), zap.Error(err))
	}
	return nil
}

// consume offers ld to the next consumer with the receiver's standard accounting; a
// request without records (their events are switched off) is not sent.
func (e *eventsOutput) consume(ctx context.Context, ld plog.Logs) error {
	n := ld.LogRecordCount()
	if n == 0 {
		return nil
	}
	ctx = e.obs.StartLogsOp(ctx)
	err := e.next.ConsumeLogs(ctx, ld)
	e.obs.EndLogsOp(ctx, metadata.Type.String(), n, err)
	return err
}

// persist saves what changed in the tracker's state: one write per tick or re-list at most,
// of the files and events that changed.
func (e *eventsOutput) persist(ctx context.Context) {
	if e.storage == nil {
		return
	}
	if err := e.tracker.Save(ctx, e.storage); err != nil { // the next save writes it
		e.logger.Error("Could not save message event state; events may repeat after a restart", zap.Error(err))
	}
}

// watchedMessages lists the messages in the folders whose events are enabled.
func (e *eventsOutput) watchedMessages(snap *snapshot) []msgtrack.Message {
	var msgs []msgtrack.Message
	for _, g := range groupByIntegration(snap) {
		for _, c := range g.folders {
			for i := range messageFolders {
				mf := &messageFolders[i]
				if !mf.enabled(e.cfg.Events) {
					continue
				}
				for j := range c.Folder(mf.folder).Files {
					msgs = append(msgs, messageOf(g.api, c, mf.folder, &c.Folder(mf.folder).Files[j]))
				}
			}
		}
	}
	return msgs
}

// messageOf is what the tracker knows of file, a message of connector c in folder, joined
// with the integration it (nil when the API did not list it).
func messageOf(it *backboneapi.Integration, c *queuetree.Connector, folder queuetree.Folder, file *queuetree.File) msgtrack.Message {
	return msgtrack.Message{
		Integration: c.IntegrationKey,
		Connector:   c.ConnectorKey,
		ProjectKey:  it.ProjectKey(c.ConnectorKey),
		BaseURL:     it.Connector(c.ConnectorKey).BaseURL(),
		Folder:      string(folder),
		Issue:       file.Issue,
		Name:        file.Name,
		Path:        file.Path,
		Size:        file.Size,
		ModTime:     file.ModTime,
		Entered:     file.Entered,
	}
}

// judgeable tells whether a scan can be compared with the known files. A tree whose root
// is missing cannot. Nor can, while start_at (but beginning) has yet to take the files
// present as its starting point, a scan that did not get through the root (unreadable, or
// cut short by the timeout): the files it missed would be announced later as new.
func (e *eventsOutput) judgeable(tree *queuetree.Tree) bool {
	if rootMissing(tree) {
		return false
	}
	if e.tracker.Fresh() && e.cfg.StartAt != StartAtBeginning {
		for _, p := range tree.Problems {
			if p.Path == tree.Root {
				return false
			}
		}
	}
	return true
}

// rootMissing tells a tree whose root is not there (Jira's shared home not mounted yet): no
// message can be judged new or gone then.
func rootMissing(tree *queuetree.Tree) bool {
	for _, p := range tree.Problems {
		if p.Kind == queuetree.RootMissing {
			return true
		}
	}
	return false
}

// unreadablePaths are the parts of the tree this scan could not read: messages known there
// are neither resolved nor announced again.
func unreadablePaths(tree *queuetree.Tree) []string {
	var paths []string
	for _, p := range tree.Problems {
		if p.Kind.Unreadable() {
			paths = append(paths, p.Path)
		}
	}
	return paths
}
