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

	"github.com/otelcol-backbone/otelcol-backbone/internal/e2eproc"
)

// maxBody caps what the sink reads of one request.
const maxBody = 64 << 20

// batch is one logs request the sink answered: the records it carried, by key.
type batch struct {
	run      int      // the sink's run number when the request came
	accepted bool     // answered 200; otherwise 503
	keys     []string // record keys, in the request's order
}

// sink is an OTLP/HTTP server (/v1/logs, /v1/metrics) that answers 503 while down and 200
// while up, and remembers every logs request and the records in it.
type sink struct {
	url string

	mu              sync.Mutex
	down            bool
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
		b := batch{run: s.run, accepted: !s.down, keys: recordKeys(req.Logs())}
		s.batches = append(s.batches, b)
		s.mu.Unlock()
		if !b.accepted {
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
	for _, rm := range req.Metrics().ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				switch {
				case m.Name() == "backbone.folder.messages" && m.Type() == pmetric.MetricTypeGauge:
					sum.folderPoints += m.Gauge().DataPoints().Len()
				case m.Name() == "backbone.api.up" && m.Type() == pmetric.MetricTypeGauge:
					for _, dp := range m.Gauge().DataPoints().All() {
						sum.apiUp = float64(dp.IntValue())
						if dp.ValueType() == pmetric.NumberDataPointValueTypeDouble {
							sum.apiUp = dp.DoubleValue()
						}
					}
				case m.Name() == "backbone.api.error" && m.Type() == pmetric.MetricTypeSum:
					for _, dp := range m.Sum().DataPoints().All() {
						if dp.IntValue() == 1 {
							sum.errorType = attr(dp.Attributes().AsRaw(), "error.type")
						}
					}
				}
			}
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
	for _, rl := range ld.ResourceLogs().All() {
		integration := attr(rl.Resource().Attributes().AsRaw(), "backbone.integration.key")
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				a := lr.Attributes().AsRaw()
				if path := attr(a, "file.path"); path != "" {
					keys = append(keys, messageKey(lr.EventName(), path))
					continue
				}
				keys = append(keys, fmt.Sprintf("%s %s/%s %s%s", lr.EventName(), integration,
					attr(a, "backbone.connector.key"), attr(a, "backbone.integration.state"), attr(a, "backbone.connector.online")))
			}
		}
	}
	return keys
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
