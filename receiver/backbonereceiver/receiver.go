package backbonereceiver

import (
	"context"
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

// Shutdown stops the loop, waiting for the tick in flight, and closes what Start opened.
func (r *backboneReceiver) Shutdown(ctx context.Context) error {
	if r.cancel != nil {
		r.cancel()
		select {
		case <-r.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if r.watch != nil {
		r.watch.close()
	}
	var err error
	if r.events != nil {
		err = r.events.shutdown(ctx)
	}
	r.reader.shutdown()
	r.telemetry.Shutdown()
	return err
}

// run ticks every collection interval after the initial delay, until ctx ends. Between
// ticks it re-lists the watched folders that notification reports changed and, every
// events_poll_interval, those it does not cover. A tick or re-list that takes long delays
// the next one; nothing runs side by side, since the tracker is not concurrent.
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
	r.tick(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			r.tick(ctx)
		case <-changed:
			if sleep(ctx, settleDelay) {
				r.relist(ctx, r.watch.takeChanged())
			}
		case <-poll:
			r.relist(ctx, r.watch.pollFolders())
		}
	}
}

// tick takes one snapshot, within the configured timeout, hands it to both outputs and
// returns it. Each problem met (reading or delivering) is logged when it appears, changes
// or clears.
func (r *backboneReceiver) tick(ctx context.Context) *snapshot {
	readCtx, cancel := context.WithTimeout(ctx, r.readTimeout())
	snap := r.reader.read(readCtx)
	cancel()
	problems := problemsOf(snap)
	if r.metrics != nil {
		if err := r.metrics.emit(ctx, snap); err != nil {
			problems["metrics pipeline"] = consumerProblem(err, "The next consumer refused this interval's metrics")
		}
	}
	if r.events != nil {
		r.events.observe(snap)
		if r.watch != nil && snap.tree != nil {
			r.watch.update(snap.tree)
		}
		if err := r.events.deliver(ctx); err != nil {
			problems["logs pipeline"] = consumerProblem(err, "The next consumer refused message events; they stay pending and are offered again at the next interval")
		}
		r.events.persist(context.WithoutCancel(ctx)) // what was delivered is saved, shutdown or not
	}
	if ctx.Err() == nil { // a tick cut short by shutdown proves nothing
		r.problems.update(problems)
	}
	return snap
}

// relist re-lists some watched folders between ticks and delivers and saves what changed
// there, as a tick does. A refused delivery stays pending; the next tick offers it again and
// reports the refusal, and until then re-lists only record what they find.
func (r *backboneReceiver) relist(ctx context.Context, folders []queuetree.Watched) {
	if len(folders) == 0 {
		return
	}
	readCtx, cancel := context.WithTimeout(ctx, r.readTimeout())
	snap := r.reader.relist(readCtx, folders)
	cancel()
	r.events.observeFolders(snap, watchedPaths(folders))
	if !r.events.refused { // a refusing pipeline is tried again at the next tick, not at every change
		_ = r.events.deliver(ctx)
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

func consumerProblem(err error, what string) problem {
	return problem{state: "refused", message: what + ": " + err.Error()}
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
