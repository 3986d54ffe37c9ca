package faults

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/logrecords"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/metricpoints"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/wait"
)

// sink is the OTLP backend with the tests' names for records (recordKey) and a summary of
// each accepted scrape.
type sink struct {
	*otlpsink.Sink

	mu      sync.Mutex
	scrapes []scrapeSummary
}

// newSink serves a sink on a free port of 127.0.0.1 until the test ends.
func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{}
	var err error
	s.Sink, err = otlpsink.Start(otlpsink.Options{Key: recordKey, Metrics: func(md pmetric.Metrics) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.scrapes = append(s.scrapes, summarize(md))
	}})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// largestLogsRequest returns the size of the largest logs request that came.
func (s *sink) largestLogsRequest() int {
	n := 0
	for _, b := range s.Batches() {
		n = max(n, b.Bytes)
	}
	return n
}

// scrapeSummary is what the tests check of one metrics request.
type scrapeSummary struct {
	folderPoints int     // backbone.folder.messages data points
	apiUp        float64 // backbone.api.up; -1 when absent
	errorType    string  // the error.type at 1 in backbone.api.error
}

func summarize(md pmetric.Metrics) scrapeSummary {
	sum := scrapeSummary{apiUp: -1}
	for _, p := range metricpoints.Flatten(md) {
		switch {
		case p.Metric == "backbone.folder.messages" && p.Type == pmetric.MetricTypeGauge:
			sum.folderPoints++
		case p.Metric == "backbone.api.up" && p.Type == pmetric.MetricTypeGauge:
			sum.apiUp = p.Value
		case p.Metric == "backbone.api.error" && p.Type == pmetric.MetricTypeSum && p.Value == 1:
			sum.errorType = attr(p.Attrs, "error.type")
		}
	}
	return sum
}

// scrapesSince returns the summaries of the metrics requests accepted after the first n.
func (s *sink) scrapesSince(n int) []scrapeSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.scrapes[min(n, len(s.scrapes)):])
}

// recordKey names what a record reports: the event and the file for message events, the
// event, integration, connector and new state for state changes.
func recordKey(r logrecords.Record) string {
	if path := attr(r.Attrs, "file.path"); path != "" {
		return messageKey(r.Event, path)
	}
	return fmt.Sprintf("%s %s/%s %s%s", r.Event, attr(r.Resource, "backbone.integration.key"),
		attr(r.Attrs, "backbone.connector.key"), attr(r.Attrs, "backbone.integration.state"), attr(r.Attrs, "backbone.connector.online"))
}

// acceptedBatches returns the accepted logs requests with records, in the order they came.
func (s *sink) acceptedBatches() []otlpsink.Batch {
	var out []otlpsink.Batch
	for _, b := range s.Batches() {
		if b.Accepted && len(b.Keys) > 0 {
			out = append(out, b)
		}
	}
	return out
}

func attr(m map[string]any, key string) string {
	if v, ok := m[key]; ok {
		return fmt.Sprint(v)
	}
	return ""
}

// messageKey is the record key of a message event: the event and the file's path below the
// namespace folder (INT-16/AP-29/RECEIVE/error/AP-1/000001.bac).
func messageKey(event, path string) string {
	if _, rel, ok := strings.Cut(filepath.ToSlash(path), "/backbone-issue-sync/default/"); ok {
		path = rel
	}
	return event + " " + path
}

// refused returns the refused logs requests and the records they carried, by key.
func (s *sink) refused() (requests int, records map[string]int) {
	records = map[string]int{}
	for _, b := range s.Batches() {
		if !b.Accepted {
			requests++
			for _, k := range b.Keys {
				records[k]++
			}
		}
	}
	return requests, records
}

// metrics returns how many metrics requests were accepted and refused.
func (s *sink) metrics() (accepted, refused int) {
	c := s.Counts()
	return c.MetricsAccepted, c.MetricsRefused
}

// lastAcceptedN returns the keys of the last n accepted logs requests with records of a run.
func (s *sink) lastAcceptedN(run, n int) []string {
	var keys []string
	for _, b := range slices.Backward(s.Batches()) {
		if n == 0 {
			break
		}
		if b.Run == run && b.Accepted && len(b.Keys) > 0 {
			keys = append(keys, b.Keys...)
			n--
		}
	}
	return keys
}

// waitAccepted waits until every key has been accepted at least once, or until timeout or
// the collector's exit; it tells whether they all were. The comparison that follows shows
// what is missing.
func (s *sink) waitAccepted(c *collector, timeout time.Duration, keys ...string) bool {
	all := func() bool {
		got := s.Accepted()
		return !slices.ContainsFunc(keys, func(k string) bool { return got[k] == 0 })
	}
	_ = wait.For(context.Background(), timeout, func() bool { return all() || c.Exited() })
	return all()
}

// requireAccepted waits until every key has been accepted at least once.
func (s *sink) requireAccepted(t *testing.T, c *collector, timeout time.Duration, keys ...string) {
	t.Helper()
	if !s.waitAccepted(c, timeout, keys...) {
		got := s.Accepted()
		var missing []string
		for _, k := range keys {
			if got[k] == 0 {
				missing = append(missing, k)
			}
		}
		t.Fatalf("not accepted within %s (collector exited: %v): %v", timeout, c.Exited(), missing)
	}
}

// waitMetrics waits until n more metrics requests have been accepted: n more scrapes went
// through the whole pipeline.
func (s *sink) waitMetrics(t *testing.T, c *collector, n int) {
	t.Helper()
	start, _ := s.metrics()
	e2eproc.Eventually(t, c, time.Duration(n)*interval+20*time.Second, fmt.Sprintf("%d more metrics requests", n), func() bool {
		got, _ := s.metrics()
		return got >= start+n
	})
}

// waitMetricsRefused waits until n more metrics requests have been refused.
func (s *sink) waitMetricsRefused(t *testing.T, c *collector, n int) {
	t.Helper()
	_, start := s.metrics()
	e2eproc.Eventually(t, c, time.Duration(n)*interval+20*time.Second, fmt.Sprintf("%d more refused metrics requests", n), func() bool {
		_, got := s.metrics()
		return got >= start+n
	})
}

// assertOnce checks that every key was accepted exactly once and nothing else was accepted.
func assertOnce(t *testing.T, s *sink, want []string) {
	t.Helper()
	got := s.Accepted()
	var missing, repeated, unexpected []string
	for _, k := range want {
		switch n := got[k]; {
		case n == 0:
			missing = append(missing, k)
		case n > 1:
			repeated = append(repeated, fmt.Sprintf("%s (%d times)", k, n))
		}
	}
	for k := range got {
		if !slices.Contains(want, k) {
			unexpected = append(unexpected, k)
		}
	}
	slices.Sort(unexpected)
	assert.Empty(t, missing, "records never accepted, of %d expected", len(want))
	assert.Empty(t, repeated, "records accepted more than once")
	assert.Empty(t, unexpected, "records accepted that no change of the tree explains")
}
