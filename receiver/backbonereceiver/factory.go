package backbonereceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper"
	"go.opentelemetry.io/collector/scraper/scraperhelper"

	"github.com/otelcol-backbone/otelcol-backbone/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

const defaultHTTPTimeout = 10 * time.Second

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
	httpCfg := confighttp.NewDefaultClientConfig()
	httpCfg.Timeout = defaultHTTPTimeout
	return &Config{
		ControllerConfig:     scraperhelper.NewDefaultControllerConfig(),
		ClientConfig:         httpCfg,
		MetricsBuilderConfig: metadata.DefaultMetricsBuilderConfig(),
		Events:               metadata.DefaultEventsConfig(),
		AuthBackoff: AuthBackoffConfig{
			InitialInterval: backboneapi.DefaultAuthBackoffInitial,
			MaxInterval:     backboneapi.DefaultAuthBackoffMax,
		},
		StartAt: StartAtEnd,
	}
}

func createMetrics(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	rCfg := cfg.(*Config)
	ms := newMetricsScraper(rCfg, set, sources.acquire(rCfg, set))
	s, err := scraper.NewMetrics(ms.scrape, scraper.WithStart(ms.start), scraper.WithShutdown(ms.shutdown))
	if err != nil {
		sources.release(ms.src) // a receiver that is never created is never shut down
		return nil, err
	}
	r, err := scraperhelper.NewMetricsController(&rCfg.ControllerConfig, set, next,
		scraperhelper.AddMetricsScraper(metadata.Type, s))
	if err != nil {
		sources.release(ms.src)
	}
	return r, err
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	rCfg := cfg.(*Config)
	es := newEventsScraper(rCfg, set, sources.acquire(rCfg, set))
	// The controller has no AddLogsScraper; a scraper factory is its way in.
	f := scraper.NewFactory(metadata.Type, nil, scraper.WithLogs(
		func(context.Context, scraper.Settings, component.Config) (scraper.Logs, error) {
			return scraper.NewLogs(es.scrape, scraper.WithStart(es.start), scraper.WithShutdown(es.shutdown))
		}, metadata.LogsStability))
	// The controller does not tell a scraper whether its logs were accepted; the events
	// scraper must know, so it sees the consumer's answer through deliveryConsumer.
	r, err := scraperhelper.NewLogsController(&rCfg.ControllerConfig, set, &deliveryConsumer{next: next, events: es},
		scraperhelper.AddFactoryWithConfig(f, nil))
	if err != nil {
		sources.release(es.src) // a receiver that is never created is never shut down
	}
	return r, err
}
