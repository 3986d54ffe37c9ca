package backbonereceiver

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/otelcol-backbone/otelcol-backbone/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/internal/msgtrack"
	"github.com/otelcol-backbone/otelcol-backbone/internal/queuetree"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

// stateKey is the storage key of the tracker's state: one value, written at most once per scrape.
const stateKey = "message_events"

// eventsScraper turns what changed between snapshots into log records. The tracker decides
// what is new and keeps records pending until the pipeline has accepted them.
type eventsScraper struct {
	cfg     *Config
	id      component.ID
	logger  *zap.Logger
	src     *source
	lb      *metadata.LogsBuilder
	baseURL string

	tracker  *msgtrack.Tracker
	storage  storage.Client // nil: state lives in memory
	inFlight int            // pending events offered by the last scrape
}

func newEventsScraper(cfg *Config, set receiver.Settings, src *source) *eventsScraper {
	return &eventsScraper{
		cfg:    cfg,
		id:     set.ID,
		logger: set.Logger,
		src:    src,
		lb: metadata.NewLogsBuilder(metadata.LogsBuilderConfig{
			Events:             cfg.Events,
			ResourceAttributes: cfg.ResourceAttributes,
		}, set),
		baseURL: jiraBaseURL(cfg.Endpoint),
		tracker: msgtrack.New(0),
	}
}

func (e *eventsScraper) start(ctx context.Context, host component.Host) error {
	if err := e.src.start(ctx, host); err != nil {
		return err
	}
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
	data, err := client.Get(ctx, stateKey)
	if err != nil {
		return fmt.Errorf("read message event state: %w", err)
	}
	if err := e.tracker.Load(data); err != nil {
		e.logger.Warn("Stored message event state is unreadable; starting afresh as start_at says", zap.Error(err))
		e.tracker = msgtrack.New(0)
	}
	// Files of a folder whose event was switched off since have not left it: forget them
	// without a resolved record.
	e.tracker.Retain(func(m msgtrack.Message) bool { return e.folderEventEnabled(queuetree.Folder(m.Folder)) })
	return nil
}

func (e *eventsScraper) shutdown(ctx context.Context) error {
	sources.release(e.src)
	if e.storage == nil {
		return nil
	}
	return e.storage.Close(ctx)
}

func (e *eventsScraper) scrape(ctx context.Context) (plog.Logs, error) {
	snap := e.src.snapshot(ctx)
	if snap.tree != nil && e.judgeable(snap.tree) {
		msgs := e.watchedMessages(snap)
		if e.tracker.Fresh() && e.cfg.StartAt == StartAtEnd {
			e.tracker.Baseline(msgs)
		}
		e.tracker.ObserveMessages(snap.time, msgs, unreadablePaths(snap.tree))
	}
	if snap.api != nil {
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
				e.tracker.ObserveConnector(snap.time, it.IntegrationKey, c.ConnectorKey, it.ProjectKey(c.ConnectorKey), c.Online)
			}
		}
	}
	if n := e.tracker.Dropped(); n > 0 {
		e.logger.Warn("Too many message events were waiting for delivery; the oldest were dropped", zap.Int("dropped", n))
	}
	pending := e.tracker.Pending()
	e.inFlight = len(pending)
	return e.buildLogs(ctx, snap, pending), nil
}

// delivered learns the pipeline's answer to the logs of the last scrape and persists the
// tracker's state if it changed.
func (e *eventsScraper) delivered(ctx context.Context, err error) {
	if err == nil {
		e.tracker.Delivered(e.inFlight)
	}
	e.inFlight = 0
	if e.storage == nil || !e.tracker.Changed() {
		return
	}
	data, mErr := e.tracker.Marshal()
	if mErr == nil {
		mErr = e.storage.Set(ctx, stateKey, data)
	}
	if mErr != nil {
		e.tracker.Unsaved() // try again with the next scrape
		e.logger.Error("Could not save message event state; events may repeat after a restart", zap.Error(mErr))
	}
}

// watchedMessages lists the messages in the folders whose events are enabled.
func (e *eventsScraper) watchedMessages(snap *snapshot) []msgtrack.Message {
	var msgs []msgtrack.Message
	for _, g := range groupByIntegration(snap) {
		for _, c := range g.folders {
			project := projectKey(g.api, c.ConnectorKey)
			for i, f := range queuetree.Folders {
				if !e.folderEventEnabled(f) {
					continue
				}
				for _, file := range c.Folders[i].Files {
					msgs = append(msgs, msgtrack.Message{
						Integration: c.IntegrationKey,
						Connector:   c.ConnectorKey,
						ProjectKey:  project,
						Folder:      string(f),
						Issue:       file.Issue,
						Name:        file.Name,
						Path:        file.Path,
						Size:        file.Size,
						ModTime:     file.ModTime,
					})
				}
			}
		}
	}
	return msgs
}

func (e *eventsScraper) folderEventEnabled(f queuetree.Folder) bool {
	ev := e.cfg.Events
	switch f {
	case queuetree.Error:
		return ev.BackboneMessageError.Enabled
	case queuetree.SequenceError:
		return ev.BackboneMessageSequenceError.Enabled
	case queuetree.SendError:
		return ev.BackboneMessageSendError.Enabled
	case queuetree.IssueMissing:
		return ev.BackboneMessageIssueMissing.Enabled
	case queuetree.Offline:
		return ev.BackboneMessageOffline.Enabled
	case queuetree.Invalid:
		return ev.BackboneMessageInvalid.Enabled
	}
	return false
}

// judgeable tells whether a scan can be compared with the known files. A tree whose root
// is missing cannot. Nor can, while start_at: end has yet to take the files present as
// seen, a scan that did not get through the root (unreadable, or cut short by the scrape's
// timeout): the files it missed would be announced later as new.
func (e *eventsScraper) judgeable(tree *queuetree.Tree) bool {
	if rootMissing(tree) {
		return false
	}
	if e.tracker.Fresh() && e.cfg.StartAt == StartAtEnd {
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
		if p.Kind != queuetree.InvalidName {
			paths = append(paths, p.Path)
		}
	}
	return paths
}

// deliveryConsumer passes the events scraper's logs on and tells the scraper whether the
// next consumer accepted them: a record counts as delivered only then.
type deliveryConsumer struct {
	next   consumer.Logs
	events *eventsScraper
}

func (d *deliveryConsumer) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (d *deliveryConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	err := d.next.ConsumeLogs(ctx, ld)
	d.events.delivered(ctx, err)
	return err
}
