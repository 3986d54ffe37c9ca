package backbonereceiver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// backboneReceiver is the one instance of a receiver config, shared by the metrics and the
// logs pipelines that use it: each collection interval it takes one snapshot and hands its
// metrics and its events to the consumers the pipelines registered, calling them itself so
// that it knows from their answer what was accepted.
type backboneReceiver struct {
	cfg       *Config
	settings  receiver.Settings
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	reader    *reader
	problems  *problemLog

	metrics *metricsOutput // nil unless a metrics pipeline uses this config
	events  *eventsOutput  // nil unless a logs pipeline uses this config
	watch   *folderWatch   // nil unless events and a directory are configured

	cancel context.CancelFunc
	done   chan struct{} // closed when the loop has ended; nil before Start

	// mu is held by the loop while it uses what Shutdown closes (the watcher, the storage
	// client), and by Shutdown while it closes them: a loop still reading when Shutdown
	// gives up waiting (a file system that hangs) finds them closed when it comes back.
	mu     sync.Mutex
	closed bool
}

func newReceiver(cfg *Config, set receiver.Settings) (*backboneReceiver, error) {
	telemetry, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &backboneReceiver{
		cfg:       cfg,
		settings:  set,
		logger:    set.Logger,
		telemetry: telemetry,
		reader:    newReader(cfg, set, telemetry),
		problems:  newProblemLog(set.Logger),
	}, nil
}

// obsReport returns the receiver's standard self-observability for one pipeline's settings.
func obsReport(set receiver.Settings) (*receiverhelper.ObsReport, error) {
	return receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "http",
		ReceiverCreateSettings: set,
	})
}

func (r *backboneReceiver) registerMetrics(next consumer.Metrics, set receiver.Settings) error {
	obs, err := obsReport(set)
	if err != nil {
		return err
	}
	r.metrics = newMetricsOutput(r.cfg, set, next, obs)
	return nil
}

func (r *backboneReceiver) registerLogs(next consumer.Logs, set receiver.Settings) error {
	obs, err := obsReport(set)
	if err != nil {
		return err
	}
	r.events = newEventsOutput(r.cfg, set, next, obs, r.telemetry)
	return nil
}

// Start builds the HTTP client, opens the event state's storage and starts the loop. It
// never calls the API or reads the tree itself.
func (r *backboneReceiver) Start(ctx context.Context, host component.Host) error {
	if err := r.startOutputs(ctx, host); err != nil {
		return err
	}
	if r.events != nil && r.reader.scanner != nil {
		r.watch = newFolderWatch(r.cfg, r.logger)
		r.watch.start()
	}
	// The loop outlives Start's context.
	loopCtx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go r.run(loopCtx)
	return nil
}

// startOutputs prepares what a tick needs: the API client and the event state.
func (r *backboneReceiver) startOutputs(ctx context.Context, host component.Host) error {
	if err := r.reader.start(ctx, host); err != nil {
		return err
	}
	if r.events != nil {
		return r.events.start(ctx, host)
	}
	return nil
}

// Shutdown stops the loop, waiting for the tick in flight until ctx ends, and closes what
// Start opened whether the loop has ended or not. It does not wait for a consumer that has
// yet to answer (see consumerCall).
func (r *backboneReceiver) Shutdown(ctx context.Context) error {
	var err error
	if r.cancel != nil {
		r.cancel()
		select {
		case <-r.done:
		case <-ctx.Done():
			err = fmt.Errorf("the receiver's loop did not stop in time: %w", ctx.Err())
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.watch != nil {
		r.watch.close()
	}
	if r.events != nil {
		err = errors.Join(err, r.events.shutdown(ctx))
	}
	r.reader.shutdown()
	r.telemetry.Shutdown()
	return err
}

// run ticks every collection interval after the initial delay, until ctx ends. Between
// ticks it re-lists the watched folders that notification reports changed and, every
// events_poll_interval, those it does not cover. A tick or re-list waits for the next
// consumers only until the next tick is due; a reading that takes long delays the next
// one. Only the consumer calls run beside the loop, since the tracker is not concurrent.
func (r *backboneReceiver) run(ctx context.Context) {
	defer close(r.done)
	if !sleep(ctx, r.cfg.InitialDelay) {
		return
	}
	ticker := time.NewTicker(r.cfg.CollectionInterval)
	defer ticker.Stop()
	var (
		changed <-chan struct{}
		poll    <-chan time.Time
	)
	if r.watch != nil {
		changed = r.watch.changed()
		var stop func()
		poll, stop = r.watch.pollTicks()
		defer stop()
	}
	due := time.Now().Add(r.cfg.CollectionInterval) // of the ticker's first tick
	r.tick(ctx, due)
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-ticker.C:
			due = t.Add(r.cfg.CollectionInterval)
			r.tick(ctx, due)
		case <-changed:
			if sleep(ctx, settleDelay) {
				r.relist(ctx, r.watch.takeChanged(), false, due)
			}
		case <-poll:
			r.relist(ctx, r.watch.pollFolders(), true, due)
		}
	}
}

// tick takes one snapshot, within the configured timeout, hands it to both outputs,
// which wait for their consumers side by side until due (when the next tick is), and
// returns it. Each problem met (reading or delivering) is logged when it appears, changes
// or clears.
func (r *backboneReceiver) tick(ctx context.Context, due time.Time) *snapshot {
	readCtx, cancel := context.WithTimeout(ctx, r.readTimeout())
	snap := r.reader.read(readCtx)
	cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return snap
	}
	problems := problemsOf(snap)
	var metricsSent bool
	if r.metrics != nil {
		metricsSent = r.metrics.send(ctx, snap)
	}
	if r.events != nil {
		r.events.observe(snap)
		if r.watch != nil && snap.tree != nil {
			r.watch.update(snap.tree)
		}
		if err := r.events.deliver(ctx, due); err != nil {
			problems["logs pipeline"] = consumerProblem(err,
				"The next consumer refused message events; they stay pending and are offered again at the next interval",
				"The next consumer had not answered a request of message events when the next interval was due; they stay pending, and nothing more is offered until it answers")
		}
		r.events.persist(context.WithoutCancel(ctx)) // what was delivered is saved, shutdown or not
	}
	if r.metrics != nil {
		err := errUnanswered
		if metricsSent {
			err = r.metrics.answer(ctx, due)
		}
		if err != nil {
			problems["metrics pipeline"] = consumerProblem(err,
				"The next consumer refused this interval's metrics",
				"The next consumer had not answered for metrics when the next interval was due; each interval's metrics are dropped until it answers")
		}
	}
	if ctx.Err() == nil { // a tick cut short by shutdown proves nothing
		r.problems.update(problems)
	}
	return snap
}

// relist re-lists some watched folders between ticks (at a poll, those of them that
// changed) and delivers and saves what changed there, as a tick does, waiting for the
// consumer until due. A refused or unanswered delivery stays pending; the next tick offers
// it again and reports the problem, and until then re-lists only record what they find.
func (r *backboneReceiver) relist(ctx context.Context, folders []queuetree.Watched, poll bool, due time.Time) {
	if len(folders) == 0 {
		return
	}
	readCtx, cancel := context.WithTimeout(ctx, r.readTimeout())
	snap, listed := r.reader.relist(readCtx, folders, poll)
	cancel()
	if len(listed) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.events.observeFolders(snap, watchedPaths(listed))
	if !r.events.refused { // a refusing pipeline is tried again at the next tick, not at every change
		_ = r.events.deliver(ctx, due)
	}
	r.events.persist(context.WithoutCancel(ctx)) // as a tick: what was delivered is saved, shutdown or not
}

// readTimeout bounds one snapshot: the configured timeout, or the interval when it is 0.
func (r *backboneReceiver) readTimeout() time.Duration {
	if t := r.cfg.ControllerConfig.Timeout; t > 0 {
		return t
	}
	return r.cfg.CollectionInterval
}

// consumerProblem is the problem of a pipeline whose consumer refused what it was offered
// (refused is followed by its error), or had yet to answer when the loop stopped waiting.
func consumerProblem(err error, refused, unanswered string) problem {
	if errors.Is(err, errUnanswered) {
		return problem{state: "unanswered", message: unanswered}
	}
	return problem{state: "refused", message: refused + ": " + err.Error()}
}

// sleep waits for d or until ctx ends, and reports whether it waited the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
