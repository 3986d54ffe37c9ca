package metricpoints

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func TestFlatten(t *testing.T) {
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("backbone.integration.key", "INT-16")
	sm := rm.ScopeMetrics().AppendEmpty()

	gauge := sm.Metrics().AppendEmpty()
	gauge.SetName("backbone.folder.messages")
	gauge.SetUnit("{message}")
	dp := gauge.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetIntValue(3)
	dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
	dp.Attributes().PutStr("backbone.folder", "error")

	sum := sm.Metrics().AppendEmpty()
	sum.SetName("backbone.api.request.duration")
	sum.SetUnit("s")
	sum.SetEmptySum().DataPoints().AppendEmpty().SetDoubleValue(0.25)

	hist := sm.Metrics().AppendEmpty()
	hist.SetName("left.out")
	hist.SetEmptyHistogram().DataPoints().AppendEmpty()

	res := map[string]any{"backbone.integration.key": "INT-16"}
	got := Flatten(md)
	assert.Equal(t, []Point{
		{Resource: res, Metric: "backbone.folder.messages", Unit: "{message}", Type: pmetric.MetricTypeGauge,
			Attrs: map[string]any{"backbone.folder": "error"}, Value: 3, Time: at},
		{Resource: res, Metric: "backbone.api.request.duration", Unit: "s", Type: pmetric.MetricTypeSum,
			Attrs: map[string]any{}, Value: 0.25, Time: time.Unix(0, 0).UTC()},
	}, got)
	assert.Equal(t, "error", got[0].Attr("backbone.folder"))
	assert.Empty(t, got[0].Attr("missing"))
	assert.Equal(t, "INT-16", got[1].ResourceAttr("backbone.integration.key"))
	assert.Empty(t, Flatten(pmetric.NewMetrics()))
}
