package backbonereceiver

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadatatest"
)

// TestTelemetryAPI checks the receiver's own telemetry of the API: each call that reached
// Jira is timed, and the auth back-off gauge says when calls are held back after a
// rejected login.
func TestTelemetryAPI(t *testing.T) {
	srv, fx := newAPIServer(t, "integrations.json")
	fx.status.Store(http.StatusUnauthorized)
	cfg := newTestConfig(srv.URL+"/jira", seedTree(t))
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tel)
	r, err := newReceiver(cfg, set)
	require.NoError(t, err)
	require.NoError(t, r.registerMetrics(&consumertest.MetricsSink{}, set))
	require.NoError(t, r.startOutputs(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })

	r.tick(t.Context(), stepDue())
	metadatatest.AssertEqualBackboneAPIAuthBackoff(t, tel, []metricdata.DataPoint[int64]{{Value: 0}}, metricdatatest.IgnoreTimestamp())
	r.tick(t.Context(), stepDue())
	metadatatest.AssertEqualBackboneAPIAuthBackoff(t, tel, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	assert.Equal(t, int32(1), fx.requests.Load())

	calls, err := tel.GetMetric("otelcol_backbone_api_call_duration")
	require.NoError(t, err)
	assert.Equal(t, uint64(1), calls.Data.(metricdata.Histogram[float64]).DataPoints[0].Count, "only the call that reached Jira is timed")
	assert.Equal(t, uint64(2), scans(t, tel), "the tree is scanned every tick, API or not")
}
