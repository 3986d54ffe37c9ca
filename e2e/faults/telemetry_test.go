package faults

import (
	"testing"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/selfmetrics"
)

// selfMetric is one value of selfmetrics.Read, failing the test when the endpoint cannot be
// read.
func selfMetric(t *testing.T, port int, name string, labels ...string) float64 {
	t.Helper()
	m, err := selfmetrics.Read(port, labels...)
	if err != nil {
		t.Fatalf("read the collector's own metrics: %v", err)
	}
	return m[name]
}
