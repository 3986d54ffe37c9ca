package faults

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// telemetryConfig is the service.telemetry block that serves the collector's own metrics in
// Prometheus format on 127.0.0.1:port.
func telemetryConfig(port int) string {
	return fmt.Sprintf(`
  telemetry:
    metrics:
      level: basic
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d`, port)
}

// selfMetrics reads the collector's own metrics from its Prometheus endpoint and sums the
// samples of each metric name whose labels contain every one of labels (`receiver="backbone"`).
// Names are given without the _total suffix of counters, which depends on the exporter's
// translation strategy.
func selfMetrics(port int, labels ...string) (map[string]float64, error) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("internal telemetry: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		series := line[:i]
		name, lbls, _ := strings.Cut(series, "{")
		name = strings.TrimSuffix(name, "_total")
		match := true
		for _, l := range labels {
			match = match && strings.Contains(lbls, l)
		}
		if match {
			out[name] += v
		}
	}
	return out, sc.Err()
}

// selfMetric is one value of selfMetrics, failing the test when the endpoint cannot be read.
func selfMetric(t *testing.T, port int, name string, labels ...string) float64 {
	t.Helper()
	m, err := selfMetrics(port, labels...)
	if err != nil {
		t.Fatalf("read the collector's own metrics: %v", err)
	}
	return m[name]
}
