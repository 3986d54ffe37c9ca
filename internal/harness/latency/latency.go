// Package latency summarises measured delays as the benchmarks report them:
// median, 95th percentile and maximum.
package latency

import (
	"fmt"
	"slices"
	"time"
)

// Summary describes a set of measured delays.
type Summary struct {
	N             int
	P50, P95, Max time.Duration
}

// Of summarises samples with nearest-rank percentiles; samples is not
// changed. No sample gives the zero Summary.
func Of(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return Summary{N: len(s), P50: rank(s, 50), P95: rank(s, 95), Max: s[len(s)-1]}
}

// rank is the nearest-rank percentile p of the sorted s: the smallest value
// with at least p% of the samples at or below it.
func rank(s []time.Duration, p int) time.Duration {
	i := (p*len(s)+99)/100 - 1
	return s[max(i, 0)]
}

func (s Summary) String() string {
	return fmt.Sprintf("p50 %v, p95 %v, max %v (%d samples)", s.P50, s.P95, s.Max, s.N)
}

// Reporter is the part of testing.B that takes custom metrics.
type Reporter interface {
	ReportMetric(n float64, unit string)
}

// Report adds the summary to a benchmark's output as <name>-p50-ms,
// <name>-p95-ms and <name>-max-ms.
func (s Summary) Report(r Reporter, name string) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	r.ReportMetric(ms(s.P50), name+"-p50-ms")
	r.ReportMetric(ms(s.P95), name+"-p95-ms")
	r.ReportMetric(ms(s.Max), name+"-max-ms")
}
