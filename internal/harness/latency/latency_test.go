package latency

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

type metrics map[string]float64

func (m metrics) ReportMetric(n float64, unit string) { m[unit] = n }

func TestOf(t *testing.T) {
	ms := time.Millisecond
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * ms // 100 ms down to 1 ms
	}
	tests := []struct {
		desc    string
		samples []time.Duration
		want    Summary
	}{
		{desc: "none", want: Summary{}},
		{desc: "one", samples: []time.Duration{7 * ms}, want: Summary{N: 1, P50: 7 * ms, P95: 7 * ms, Max: 7 * ms}},
		{desc: "two: the median is the lower", samples: []time.Duration{9 * ms, 3 * ms}, want: Summary{N: 2, P50: 3 * ms, P95: 9 * ms, Max: 9 * ms}},
		{desc: "a hundred, unsorted", samples: hundred, want: Summary{N: 100, P50: 50 * ms, P95: 95 * ms, Max: 100 * ms}},
		{desc: "one slow outlier in twenty stays out of p95", samples: append(repeat(2*ms, 19), time.Second), want: Summary{N: 20, P50: 2 * ms, P95: 2 * ms, Max: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			before := append([]time.Duration(nil), tt.samples...)
			assert.Equal(t, tt.want, Of(tt.samples))
			assert.Equal(t, before, tt.samples, "samples unchanged")
		})
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestReport(t *testing.T) {
	m := metrics{}
	Summary{N: 3, P50: 1500 * time.Microsecond, P95: 2 * time.Millisecond, Max: time.Second}.Report(m, "notify")
	assert.Equal(t, metrics{"notify-p50-ms": 1.5, "notify-p95-ms": 2, "notify-max-ms": 1000}, m)
	assert.Equal(t, "p50 1.5ms, p95 2ms, max 1s (3 samples)", Summary{N: 3, P50: 1500 * time.Microsecond, P95: 2 * time.Millisecond, Max: time.Second}.String())
}
