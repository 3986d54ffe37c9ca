// Package selfmetrics serves and reads the collector's own metrics: the service.telemetry
// block that puts them on a Prometheus endpoint, and a reader of that endpoint's text format.
// The end-to-end tests and the soak driver use it to watch the heap, the CPU and the
// receivers' refused records of a running collector.
package selfmetrics

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody caps what Read takes of one answer: the collector's own metrics are a few KiB.
const maxBody = 16 << 20

// FreePort returns a port of 127.0.0.1 that is free now, for TelemetryYAML.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// TelemetryYAML is the service.telemetry block, indented for its place under service:, that
// serves the collector's own metrics in Prometheus format on 127.0.0.1:port. It starts with
// a newline, so it can follow the last line of the service block directly.
func TelemetryYAML(port int) string {
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

// Read fetches the collector's own metrics from the endpoint TelemetryYAML configures and
// returns Parse's sums.
func Read(port int, labels ...string) (map[string]float64, error) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("internal telemetry: %s", resp.Status)
	}
	return Parse(io.LimitReader(resp.Body, maxBody), labels...)
}

// Parse sums the samples of each metric name in Prometheus text format whose labels contain
// every one of labels (`receiver="backbone"`). Names are returned without the _total suffix
// of counters, which depends on the exporter's translation strategy.
func Parse(r io.Reader, labels ...string) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
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
		name, lbls, _ := strings.Cut(line[:i], "{")
		match := true
		for _, l := range labels {
			match = match && strings.Contains(lbls, l)
		}
		if match {
			out[strings.TrimSuffix(name, "_total")] += v
		}
	}
	return out, sc.Err()
}
