package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/logrecords"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/metricpoints"
)

// lineReader returns the complete lines appended to a file since the last call.
type lineReader struct {
	path   string
	offset int64
	rest   []byte // an incomplete last line, kept until its newline arrives
}

func (r *lineReader) next(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	fi, err := f.Stat()
	require.NoError(t, err)
	require.GreaterOrEqual(t, fi.Size(), r.offset, "%s shrank: the exporter truncated it", r.path)
	_, err = f.Seek(r.offset, io.SeekStart)
	require.NoError(t, err)
	data, err := io.ReadAll(f)
	require.NoError(t, err)
	r.offset += int64(len(data))
	buf := append(r.rest, data...)
	var lines [][]byte
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		if i > 0 {
			lines = append(lines, buf[:i])
		}
		buf = buf[i+1:]
	}
	r.rest = append([]byte(nil), buf...)
	return lines
}

// integrationKey is the backbone.integration.key of a point's resource, "" for none.
func integrationKey(p metricpoints.Point) string { return p.ResourceAttr("backbone.integration.key") }

// series names the time series of a point: metric, integration and attributes, sorted.
func series(p metricpoints.Point) string { return seriesKey(p.Metric, integrationKey(p), p.Attrs) }

func seriesKey(metric, integration string, attrs map[string]any) string {
	var b strings.Builder
	b.WriteString(metric)
	b.WriteString(" {")
	if integration != "" {
		b.WriteString("integration=" + integration)
	}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		fmt.Fprintf(&b, " %s=%v", k, attrs[k])
	}
	b.WriteString("}")
	return b.String()
}

// scrape is one line of the metrics file: what one scrape produced.
type scrape struct {
	points []metricpoints.Point
}

// latest is the newest timestamp of the scrape's points.
func (s scrape) latest() time.Time {
	var last time.Time
	for _, p := range s.points {
		if p.Time.After(last) {
			last = p.Time
		}
	}
	return last
}

// find returns the points of a metric whose integration and attributes match; attributes
// not named in attrs may have any value.
func (s scrape) find(metric, integration string, attrs map[string]any) []metricpoints.Point {
	var out []metricpoints.Point
	for _, p := range s.points {
		if p.Metric != metric || integrationKey(p) != integration {
			continue
		}
		match := true
		for k, v := range attrs {
			if p.Attrs[k] != v {
				match = false
				break
			}
		}
		if match {
			out = append(out, p)
		}
	}
	return out
}

// hasFolderMetrics tells whether the scrape holds folder metrics of every integration given.
func (s scrape) hasFolderMetrics(integrations ...string) bool {
	for _, key := range integrations {
		if len(s.find("backbone.folder.messages", key, nil)) == 0 {
			return false
		}
	}
	return true
}

// apiUp returns the value of the scrape's backbone.api.up point and the error.type at 1 in
// its backbone.api.error state set ("" when none is).
func (s scrape) apiUp() (value float64, errorType string, ok bool) {
	for _, p := range s.points {
		switch {
		case p.Metric == "backbone.api.up":
			value, ok = p.Value, true
		case p.Metric == "backbone.api.error" && p.Value == 1:
			errorType = p.Attr("error.type")
		}
	}
	return value, errorType, ok
}

// metricsOutput reads the OTLP JSON lines of a file exporter's metrics file.
type metricsOutput struct {
	lines   lineReader
	scrapes []scrape
}

func newMetricsOutput(path string) *metricsOutput {
	return &metricsOutput{lines: lineReader{path: path}}
}

// poll reads the scrapes written since the last call and returns how many there are in all.
func (o *metricsOutput) poll(t *testing.T) int {
	t.Helper()
	var u pmetric.JSONUnmarshaler
	for _, line := range o.lines.next(t) {
		md, err := u.UnmarshalMetrics(line)
		require.NoError(t, err, "metrics line: %s", line)
		o.scrapes = append(o.scrapes, scrape{points: metricpoints.Flatten(md)})
	}
	return len(o.scrapes)
}

// last returns the newest scrape.
func (o *metricsOutput) last() scrape {
	if len(o.scrapes) == 0 {
		return scrape{}
	}
	return o.scrapes[len(o.scrapes)-1]
}

// waitScrapes waits until n more scrapes have arrived and returns the newest.
func (o *metricsOutput) waitScrapes(t *testing.T, c *collector, n int) scrape {
	t.Helper()
	want := o.poll(t) + n
	e2eproc.Eventually(t, c, time.Duration(n)*interval+20*time.Second, fmt.Sprintf("%d more metrics scrapes", n), func() bool {
		return o.poll(t) >= want
	})
	return o.last()
}

// waitScrapeAfter waits for a scrape taken after a moment and returns it.
func (o *metricsOutput) waitScrapeAfter(t *testing.T, c *collector, after time.Time) scrape {
	t.Helper()
	var found scrape
	e2eproc.Eventually(t, c, 20*time.Second, "metrics scrape after "+after.Format(time.RFC3339Nano), func() bool {
		o.poll(t)
		for _, s := range slices.Backward(o.scrapes) {
			if s.latest().After(after) {
				found = s
				return true
			}
		}
		return false
	})
	return found
}

// record is one log record with its resource and the line of the logs file it came in.
type record struct {
	logrecords.Record
	batch int // from 0
}

// key identifies what a record reports: the event and the file or the integration and connector.
func (r record) key() string {
	if path := r.Attr("file.path"); path != "" {
		return r.Event + " " + path
	}
	attrs := maps.Clone(r.Attrs)
	delete(attrs, "event.name") // the event itself, repeated for backends that drop it
	return seriesKey(r.Event, r.ResourceAttr("backbone.integration.key"), attrs)
}

func (r record) String() string {
	return fmt.Sprintf("%s %s %q %v resource=%v", r.Event, r.SeverityText, r.Body, r.Attrs, r.Resource)
}

// logsOutput reads the OTLP JSON lines of a file exporter's logs file.
type logsOutput struct {
	lines   lineReader
	batches int
	records []record
}

func newLogsOutput(path string) *logsOutput {
	return &logsOutput{lines: lineReader{path: path}}
}

// poll reads the records written since the last call.
func (o *logsOutput) poll(t *testing.T) {
	t.Helper()
	var u plog.JSONUnmarshaler
	for _, line := range o.lines.next(t) {
		ld, err := u.UnmarshalLogs(line)
		require.NoError(t, err, "logs line: %s", line)
		for _, r := range logrecords.Flatten(ld) {
			o.records = append(o.records, record{Record: r, batch: o.batches})
		}
		o.batches++
	}
}

// byKey returns the records read so far that report key.
func (o *logsOutput) byKey(key string) []record {
	var out []record
	for _, r := range o.records {
		if r.key() == key {
			out = append(out, r)
		}
	}
	return out
}

// waitFor waits until every key has at least one record and returns the first of each.
func (o *logsOutput) waitFor(t *testing.T, c *collector, keys ...string) map[string]record {
	t.Helper()
	out := map[string]record{}
	e2eproc.Eventually(t, c, 20*time.Second, "log records for "+strings.Join(keys, ", "), func() bool {
		o.poll(t)
		for _, k := range keys {
			if rs := o.byKey(k); len(rs) > 0 {
				out[k] = rs[0]
			}
		}
		return len(out) == len(keys)
	})
	return out
}

// counts returns how many records report each key.
func (o *logsOutput) counts() map[string]int {
	out := map[string]int{}
	for _, r := range o.records {
		out[r.key()]++
	}
	return out
}

// dump lists every record read, for failure messages.
func (o *logsOutput) dump() string {
	var b strings.Builder
	for _, r := range o.records {
		fmt.Fprintf(&b, "  batch %d: %s\n", r.batch, r)
	}
	return b.String()
}
