package backbonereceiver

import (
	"context"
	"slices"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// metricsOutput turns snapshots into metrics: one resource per integration, holding its
// API and folder metrics side by side, and one resource for the API's own health.
type metricsOutput struct {
	next   consumer.Metrics
	obs    *receiverhelper.ObsReport
	mb     *metadata.MetricsBuilder
	origin origin
	call   *consumerCall // the last metrics sent; nil before the first
}

func newMetricsOutput(cfg *Config, set receiver.Settings, next consumer.Metrics, obs *receiverhelper.ObsReport) *metricsOutput {
	return &metricsOutput{
		next:   next,
		obs:    obs,
		mb:     metadata.NewMetricsBuilder(cfg.MetricsBuilderConfig, set),
		origin: originOf(cfg),
	}
}

// send starts handing the metrics of snap to the next consumer, and reports whether it
// did: while the consumer has yet to answer for earlier metrics, these are dropped (see
// consumerCall).
func (m *metricsOutput) send(ctx context.Context, snap *snapshot) bool {
	if m.call != nil && !m.call.answered() {
		return false
	}
	md := m.build(snap)
	m.call = startCall(ctx, func(ctx context.Context) error {
		ctx = m.obs.StartMetricsOp(ctx)
		err := m.next.ConsumeMetrics(ctx, md)
		m.obs.EndMetricsOp(ctx, metadata.Type.String(), md.DataPointCount(), err)
		return err
	})
	return true
}

// answer waits until deadline for the answer to the metrics sent last, and returns it, or
// errUnanswered.
func (m *metricsOutput) answer(ctx context.Context, deadline time.Time) error {
	if !m.call.wait(ctx, deadline) {
		return errUnanswered
	}
	return m.call.err
}

func (m *metricsOutput) build(snap *snapshot) pmetric.Metrics {
	ts := pcommon.NewTimestampFromTime(snap.time)
	for _, g := range groupByIntegration(snap) {
		if g.api != nil {
			m.recordIntegration(ts, snap.time, g.api, snap.api.statusErrs[g.key] != nil)
			if age, ok := snap.api.statusAge[g.key]; ok {
				m.mb.RecordBackboneIntegrationStatusAgeDataPoint(ts, age.Seconds())
			}
		}
		for _, c := range g.folders {
			m.recordFolders(ts, snap.time, c, g.api)
		}
		rb := m.mb.NewResourceBuilder()
		resourceOf(g.api).set(rb, g.key, m.origin)
		m.mb.EmitForResource(metadata.WithResource(rb.Emit()))
	}
	if snap.api != nil {
		m.recordAPIHealth(ts, snap.api)
		rb := m.mb.NewResourceBuilder()
		if m.origin.jiraBaseURL != "" {
			rb.SetJiraBaseURL(m.origin.jiraBaseURL)
		}
		m.mb.EmitForResource(metadata.WithResource(rb.Emit()))
	}
	return m.mb.Emit()
}

// stateUnknown is the integration state reported when its status could not be read.
const stateUnknown = "unknown"

// connectorBaseURL returns the option that sets backbone.connector.base_url, none when the
// API does not give the connector's Jira.
func connectorBaseURL(baseURL string) []metadata.MetricAttributeOption {
	if baseURL == "" {
		return nil
	}
	return []metadata.MetricAttributeOption{metadata.WithBackboneConnectorBaseURLMetricAttribute(baseURL)}
}

// recordAPIHealth records backbone.api.up as one series whatever the failure, and the
// failure's kind as a state set over every error.type, so that no series appears or vanishes
// when the API fails, recovers or fails differently.
func (m *metricsOutput) recordAPIHealth(ts pcommon.Timestamp, api *apiSnapshot) {
	current := metadata.AttributeErrorType(0)
	if api.err != nil {
		current = metadata.MapAttributeErrorType[string(backboneapi.KindOf(api.err))]
	}
	m.mb.RecordBackboneAPIUpDataPoint(ts, boolToInt(api.err == nil))
	for kind := metadata.AttributeErrorTypeAuth; kind <= metadata.AttributeErrorTypeRedirect; kind++ {
		m.mb.RecordBackboneAPIErrorDataPoint(ts, boolToInt(kind == current), kind)
	}
	if api.requested {
		m.mb.RecordBackboneAPIRequestDurationDataPoint(ts, api.duration.Seconds())
	}
}

// recordIntegration records the integration's state and its connectors; statusFailed
// says its status call failed: its state is then unknown.
func (m *metricsOutput) recordIntegration(ts pcommon.Timestamp, now time.Time, it *backboneapi.Integration, statusFailed bool) {
	if statusFailed {
		recordStateSet(backboneapi.IntegrationStates, stateUnknown, func(v int64, state string) {
			m.mb.RecordBackboneIntegrationStatusDataPoint(ts, v, state)
		})
	}
	if it.Status == nil {
		return
	}
	recordStateSet(backboneapi.IntegrationStates, it.Status.Status, func(v int64, state string) {
		m.mb.RecordBackboneIntegrationStatusDataPoint(ts, v, state)
	})
	for _, c := range it.Status.Connectors() {
		key, project := c.ConnectorKey, it.ProjectKey(c.ConnectorKey)
		conf := it.Connector(key)
		queue, url := conf.QueueType(), connectorBaseURL(conf.BaseURL())
		m.mb.RecordBackboneConnectorOnlineDataPoint(ts, boolToInt(c.Online), key, project, queue, url...)
		m.mb.RecordBackboneConnectorReconnectingDataPoint(ts, boolToInt(c.Reconnecting), key, project, queue, url...)
		m.mb.RecordBackboneConnectorIssuesInErrorDataPoint(ts, c.IssuesInError, key, project, queue, url...)
		if c.StartTime != nil {
			uptime := now.Sub(time.UnixMilli(*c.StartTime)).Seconds()
			m.mb.RecordBackboneConnectorUptimeDataPoint(ts, max(uptime, 0), key, project, queue, url...)
		}
		routes := []struct {
			route metadata.AttributeBackboneRoute
			state string
		}{
			{metadata.AttributeBackboneRouteIncoming, c.IncomingRouteStatus},
			{metadata.AttributeBackboneRouteOutgoing, c.OutgoingRouteStatus},
			{metadata.AttributeBackboneRouteExternal, c.ExternalRouteStatus},
		}
		for _, r := range routes {
			recordStateSet(backboneapi.RouteStates, r.state, func(v int64, s string) {
				m.mb.RecordBackboneConnectorRouteStatusDataPoint(ts, v, key, project, queue, r.route, s, url...)
			})
		}
		processing := []struct {
			direction metadata.AttributeBackboneDirection
			state     string
		}{
			{metadata.AttributeBackboneDirectionIncoming, c.IncomingProcessingStatus},
			{metadata.AttributeBackboneDirectionOutgoing, c.OutgoingProcessingStatus},
		}
		for _, p := range processing {
			recordStateSet(backboneapi.ProcessingStates, p.state, func(v int64, s string) {
				m.mb.RecordBackboneConnectorProcessingStatusDataPoint(ts, v, key, project, queue, p.direction, s, url...)
			})
		}
	}
}

// recordStateSet records one series per known state (1 for the current one, 0 for the
// others) and, for a state the receiver does not know, one more series with 1, so that a new
// Backbone version never makes a state disappear from dashboards. An absent state records nothing.
func recordStateSet(known []string, raw string, record func(value int64, state string)) {
	current := backboneapi.NormalizeState(raw)
	if current == "" {
		return
	}
	for _, state := range known {
		record(boolToInt(state == current), state)
	}
	if !slices.Contains(known, current) {
		record(1, current)
	}
}

func (m *metricsOutput) recordFolders(ts pcommon.Timestamp, now time.Time, c *queuetree.Connector, it *backboneapi.Integration) {
	key, project := c.ConnectorKey, it.ProjectKey(c.ConnectorKey)
	url := connectorBaseURL(it.Connector(key).BaseURL())
	for i, f := range queuetree.Folders {
		st := &c.Folders[i]
		attr := metadata.MapAttributeBackboneFolder[string(f)]
		m.mb.RecordBackboneFolderMessagesDataPoint(ts, st.Messages, key, project, attr, url...)
		if st.BytesKnown {
			m.mb.RecordBackboneFolderSizeDataPoint(ts, st.Bytes, key, project, attr, url...)
			age := 0.0
			if !st.Oldest.IsZero() {
				age = max(now.Sub(st.Oldest).Seconds(), 0)
			}
			m.mb.RecordBackboneFolderOldestMessageAgeDataPoint(ts, age, key, project, attr, url...)
		}
		if f.HasIssues() {
			m.mb.RecordBackboneFolderIssuesDataPoint(ts, st.Issues, key, project, attr, url...)
		}
	}
}

func boolToInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
