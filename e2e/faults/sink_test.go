package faults

import (
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/logrecords"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/metricpoints"
)

// maxBody caps what the sink reads of one request.
const maxBody = 64 << 20

// batch is one logs request the sink answered: the records it carried, by key.
type batch struct {
	run      int      // the sink's run number when the request came
	accepted bool     // answered 200; otherwise 503 (down) or 413 (too large)
	keys     []string // record keys, in the request's order
	times    []int64  // record timestamps (ns), in the request's order
	bytes    int      // the request's size as it arrived
}

// sink is an OTLP/HTTP server (/v1/logs, /v1/metrics) that answers 503 while down and 200
// while up, and remembers every logs request and the records in it.
type sink struct {
	url string

	mu              sync.Mutex
	down            bool
	maxBytes        int // a logs request larger than this is refused with 413, as New Relic does; 0: no limit
	run             int
	batches         []batch
	metricsAccepted int
	metricsRefused  int
	scrapes         []scrapeSummary // of each accepted metrics request
}

// newSink serves a sink on a free port of 127.0.0.1 until the test ends.
func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.url = "http://" + l.Addr().String()
	return s
}

// setDown makes the sink refuse (503) or accept (200) what comes next.
func (s *sink) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// setMaxBytes makes the sink refuse logs requests larger than n bytes with 413.
func (s *sink) setMaxBytes(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxBytes = n
}

// largestLogsRequest returns the size of the largest logs request that came.
func (s *sink) largestLogsRequest() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, b := range s.batches {
		n = max(n, b.bytes)
	}
	return n
}

// setRun tags the requests that come from now on, e.g. with the number of the collector's run.
func (s *sink) setRun(run int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.run = run
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	json := strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
	switch r.URL.Path {
	case "/v1/logs":
		req := plogotlp.NewExportRequest()
		if json {
			err = req.UnmarshalJSON(body)
		} else {
			err = req.UnmarshalProto(body)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		tooLarge := s.maxBytes > 0 && len(body) > s.maxBytes
		b := batch{run: s.run, accepted: !s.down && !tooLarge, keys: recordKeys(req.Logs()), times: recordTimes(req.Logs()), bytes: len(body)}
		s.batches = append(s.batches, b)
		s.mu.Unlock()
		switch {
		case tooLarge:
			http.Error(w, "request too large for the test", http.StatusRequestEntityTooLarge)
			return
		case !b.accepted:
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		writeProto(w, plogotlp.NewExportResponse().MarshalProto)
	case "/v1/metrics":
		req := pmetricotlp.NewExportRequest()
		if json {
			err = req.UnmarshalJSON(body)
		} else {
			err = req.UnmarshalProto(body)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		down := s.down
		if down {
			s.metricsRefused++
		} else {
			s.metricsAccepted++
			s.scrapes = append(s.scrapes, summarize(req))
		}
		s.mu.Unlock()
		if down {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		writeProto(w, pmetricotlp.NewExportResponse().MarshalProto)
	default:
		http.NotFound(w, r)
	}
}

// scrapeSummary is what the tests check of one metrics request.
type scrapeSummary struct {
	folderPoints int     // backbone.folder.messages data points
	apiUp        float64 // backbone.api.up; -1 when absent
	errorType    string  // the error.type at 1 in backbone.api.error
}

func summarize(req pmetricotlp.ExportRequest) scrapeSummary {
	sum := scrapeSummary{apiUp: -1}
	for _, p := range metricpoints.Flatten(req.Metrics()) {
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

// readBody reads a request's body, gunzipping it when the exporter compressed it.
func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = http.MaxBytesReader(nil, r.Body, maxBody)
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(rd)
		if err != nil {
			return nil, err
		}
		defer gz.Close()
		rd = io.LimitReader(gz, maxBody)
	}
	return io.ReadAll(rd)
}

func writeProto(w http.ResponseWriter, marshal func() ([]byte, error)) {
	data, err := marshal()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(data)
}

// recordKeys names what each record reports: the event and the file for message events, the
// event, integration, connector and new state for state changes.
func recordKeys(ld plog.Logs) []string {
	var keys []string
	for _, r := range logrecords.Flatten(ld) {
		if path := attr(r.Attrs, "file.path"); path != "" {
			keys = append(keys, messageKey(r.Event, path))
			continue
		}
		keys = append(keys, fmt.Sprintf("%s %s/%s %s%s", r.Event, attr(r.Resource, "backbone.integration.key"),
			attr(r.Attrs, "backbone.connector.key"), attr(r.Attrs, "backbone.integration.state"), attr(r.Attrs, "backbone.connector.online")))
	}
	return keys
}

// recordTimes returns the records' timestamps in the request's order.
func recordTimes(ld plog.Logs) []int64 {
	var out []int64
	for _, r := range logrecords.Flatten(ld) {
		out = append(out, r.Time.UnixNano())
	}
	return out
}

// acceptedBatches returns the accepted logs requests with records, in the order they came.
func (s *sink) acceptedBatches() []batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []batch
	for _, b := range s.batches {
		if b.accepted && len(b.keys) > 0 {
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

// accepted counts the records of each key in the requests the sink accepted.
func (s *sink) accepted() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, b := range s.batches {
		if b.accepted {
			for _, k := range b.keys {
				out[k]++
			}
		}
	}
	return out
}

// refused returns the refused logs requests and the records they carried, by key.
func (s *sink) refused() (requests int, records map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	records = map[string]int{}
	for _, b := range s.batches {
		if !b.accepted {
			requests++
			for _, k := range b.keys {
				records[k]++
			}
		}
	}
	return requests, records
}

// metrics returns how many metrics requests were accepted and refused.
func (s *sink) metrics() (accepted, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.metricsAccepted, s.metricsRefused
}

// lastAcceptedN returns the keys of the last n accepted logs requests with records of a run.
func (s *sink) lastAcceptedN(run, n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for _, b := range slices.Backward(s.batches) {
		if n == 0 {
			break
		}
		if b.run == run && b.accepted && len(b.keys) > 0 {
			keys = append(keys, b.keys...)
			n--
		}
	}
	return keys
}

// waitAccepted waits until every key has been accepted at least once, or until timeout or
// the collector's exit; it tells whether they all were. The comparison that follows shows
// what is missing.
func (s *sink) waitAccepted(c *collector, timeout time.Duration, keys ...string) bool {
	deadline := time.Now().Add(timeout)
	for {
		got := s.accepted()
		if !slices.ContainsFunc(keys, func(k string) bool { return got[k] == 0 }) {
			return true
		}
		if time.Now().After(deadline) || c.Exited() {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// requireAccepted waits until every key has been accepted at least once.
func (s *sink) requireAccepted(t *testing.T, c *collector, timeout time.Duration, keys ...string) {
	t.Helper()
	if !s.waitAccepted(c, timeout, keys...) {
		got := s.accepted()
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
	got := s.accepted()
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
