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

	// leading guards cancel and done against the elector's callbacks; stopped is set by
	// Shutdown, after which they start nothing.
	leading sync.Mutex
	stopped bool

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

// Start builds the HTTP client, opens the event state's storage and starts the loop, or,
// with k8s_leader_elector, leaves starting it to the elector (see leader.go). It never
// calls the API or reads the tree itself.
func (r *backboneReceiver) Start(ctx context.Context, host component.Host) error {
	if err := r.startOutputs(ctx, host); err != nil {
		return err
	}
	if r.cfg.LeaderElector != nil {
		return r.followElector(host)
	}
	r.startLoop(nil)
	return nil
}

// startLoop starts the folder watch and the loop once the previous loop, if any, has ended
// (the loop alone uses the tracker and the watch), and closes the watch when the loop ends.
// prepare, when given, runs just before the loop.
func (r *backboneReceiver) startLoop(prepare func()) {
	// The loop outlives Start's context.
	loopCtx, cancel := context.WithCancel(context.Background())
	previous, done := r.done, make(chan struct{})
	r.cancel, r.done = cancel, done
	go func() {
		defer close(done)
		if previous != nil {
			<-previous
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return
		}
		if r.events != nil && r.reader.scanner != nil {
			r.watch = newFolderWatch(r.cfg, r.logger)
			r.watch.start()
		}
		if prepare != nil {
			prepare()
		}
		r.mu.Unlock()
		r.run(loopCtx)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.watch != nil && !r.closed { // else Shutdown closed it
			r.watch.close()
			r.watch = nil
		}
	}()
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
	r.leading.Lock()
	r.stopped = true // the elector starts no loop from now on
	cancel, done := r.cancel, r.done
	r.leading.Unlock()
	if cancel != nil {
		cancel()
		select {
		case <-done:
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

// tick takes one snapshot, within timeout for the API and scan_timeout for the folder
// tree, hands it to both outputs, which wait for their consumers side by side until due
// (when the next tick is), and returns it. Each problem met (reading or delivering) is
// logged when it appears, changes or clears.
func (r *backboneReceiver) tick(ctx context.Context, due time.Time) *snapshot {
	snap := r.reader.read(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return snap
	}
	problems := r.problems.of(snap)
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
	snap, listed := r.reader.relist(ctx, folders, poll) // within scan_timeout
	if snap == nil || len(listed) == 0 {
		return // the next tick reports a listing that does not return; a poll may list nothing
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
