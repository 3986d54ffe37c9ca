// Package metricpoints flattens pmetric.Metrics into a list of number data points, each with
// its resource, metric and attributes, so that tests and the soak driver check what a
// collector emitted without walking resources, scopes and metrics by hand.
package metricpoints

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Point is one number data point with everything that identifies it.
type Point struct {
	Resource map[string]any
	Scope    string // the instrumentation scope's version
	Metric   string
	Unit     string
	Type     pmetric.MetricType
	Attrs    map[string]any
	Value    float64 // an integer point's value as a float
	Time     time.Time
}

// Flatten returns the gauge and sum data points of md, in the order they appear. Other
// metric types (the receiver emits none) are left out.
func Flatten(md pmetric.Metrics) []Point {
	var out []Point
	for _, rm := range md.ResourceMetrics().All() {
		res := rm.Resource().Attributes().AsRaw()
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				var dps pmetric.NumberDataPointSlice
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					dps = m.Gauge().DataPoints()
				case pmetric.MetricTypeSum:
					dps = m.Sum().DataPoints()
				default:
					continue
				}
				for _, dp := range dps.All() {
					v := dp.DoubleValue()
					if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
						v = float64(dp.IntValue())
					}
					out = append(out, Point{
						Resource: res,
						Scope:    sm.Scope().Version(),
						Metric:   m.Name(),
						Unit:     m.Unit(),
						Type:     m.Type(),
						Attrs:    dp.Attributes().AsRaw(),
						Value:    v,
						Time:     dp.Timestamp().AsTime(),
					})
				}
			}
		}
	}
	return out
}

// Attr returns the point's string attribute key, "" when absent or not a string.
func (p Point) Attr(key string) string {
	s, _ := p.Attrs[key].(string)
	return s
}

// ResourceAttr returns the point's string resource attribute key, "" when absent or not a
// string.
func (p Point) ResourceAttr(key string) string {
	s, _ := p.Resource[key].(string)
	return s
}
