package backbonereceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper/scraperhelper"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/sharedcomponent"
)

const (
	// defaultTimeout bounds the API calls of one snapshot and each HTTP call.
	defaultTimeout = 10 * time.Second
	// defaultMaxEventsPerRequest keeps a burst of events in requests every backend accepts.
	defaultMaxEventsPerRequest = 1000
	// defaultStuckAfter lets a self-healing folder heal before a message in it is news.
	defaultStuckAfter = 15 * time.Minute
	// defaultEventsPollInterval bounds how late an event is where notification misses it
	// (a network share), at the cost of listing a few folders.
	defaultEventsPollInterval = 5 * time.Second
	// defaultArchiveInterval keeps a 1,000,000-file archive at 0.2 to 0.3% of a core: one
	// listing of it costs 0.6 to 0.8 s of CPU.
	defaultArchiveInterval = 5 * time.Minute
	// defaultTakeoverLookback covers the k8s_leader_elector extension's defaults:
	// lease_duration 15s plus five retry periods of 2s (see followElector).
	defaultTakeoverLookback = 25 * time.Second
	// defaultScanTimeout is the timeout's figure, on a budget of its own: a full scan of
	// 1,000,000 files takes about a second on local disk.
	defaultScanTimeout = 10 * time.Second
	// defaultMaxConcurrentRequests fits 1,000 status calls of 50 ms in the default timeout
	// (about 7 s) while keeping Jira's request threads for its users.
	defaultMaxConcurrentRequests = 8
	// defaultStatusStaleAfter rides out a Jira node's restart or a rate limit's pause
	// (a few intervals) before an integration's state turns unknown.
	defaultStatusStaleAfter = 5 * time.Minute
)

// receivers holds one receiver per config, shared by the pipelines that use it.
var receivers = sharedcomponent.NewMap[*Config, *backboneReceiver]()

// NewFactory creates a factory for the backbone receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithMetrics(createMetrics, metadata.MetricsStability),
		receiver.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	controllerCfg := scraperhelper.NewDefaultControllerConfig()
	controllerCfg.Timeout = defaultTimeout
	httpCfg := confighttp.NewDefaultClientConfig()
	httpCfg.Timeout = defaultTimeout // the same "timeout" key sets both
	return &Config{
		ControllerConfig:     controllerCfg,
		ClientConfig:         httpCfg,
		MetricsBuilderConfig: metadata.DefaultMetricsBuilderConfig(),
		Events:               metadata.DefaultEventsConfig(),
		AuthBackoff: AuthBackoffConfig{
			InitialInterval: backboneapi.DefaultAuthBackoffInitial,
			MaxInterval:     backboneapi.DefaultAuthBackoffMax,
		},
		StartAt:               StartAtNeedsAttention,
		MaxEventsPerRequest:   defaultMaxEventsPerRequest,
		StuckAfter:            defaultStuckAfter,
		EventsNotify:          true,
		EventsPollInterval:    defaultEventsPollInterval,
		ArchiveInterval:       defaultArchiveInterval,
		TakeoverLookback:      defaultTakeoverLookback,
		ScanTimeout:           defaultScanTimeout,
		MaxConcurrentRequests: defaultMaxConcurrentRequests,
		StatusStaleAfter:      defaultStatusStaleAfter,
	}
}

func createMetrics(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	return register(set, cfg.(*Config), func(r *backboneReceiver) error { return r.registerMetrics(next, set) })
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return register(set, cfg.(*Config), func(r *backboneReceiver) error { return r.registerLogs(next, set) })
}

// register adds a pipeline's consumer to the shared receiver of cfg.
func register(set receiver.Settings, cfg *Config, add func(*backboneReceiver) error) (*sharedcomponent.Component[*backboneReceiver], error) {
	r, err := receivers.LoadOrStore(cfg, func() (*backboneReceiver, error) { return newReceiver(cfg, set) })
	if err != nil {
		return nil, err
	}
	if err := add(r.Unwrap()); err != nil {
		_ = r.Shutdown(context.Background()) // a receiver that is never returned is never shut down
		return nil, err
	}
	return r, nil
}
