package leader

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/logrecords"
)

// sink is an OTLP/HTTP backend for both collectors: each exports to its own path prefix
// (/<name>/v1/logs, /<name>/v1/metrics), so the sink tells who sent what.
type sink struct {
	url string

	mu      sync.Mutex
	records map[string][]string // message records (event and file path) by collector, in arrival order
	metrics map[string]int      // metrics requests by collector
}

// newSink serves a sink until the test ends.
func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{records: map[string][]string{}, metrics: map[string]int{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, signal, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch signal {
	case "v1/metrics":
		s.mu.Lock()
		s.metrics[name]++
		s.mu.Unlock()
	case "v1/logs":
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		for _, rec := range logrecords.Flatten(req.Logs()) {
			if p := rec.Attr("file.path"); p != "" {
				s.records[name] = append(s.records[name], rec.Event+" "+p)
			}
		}
		s.mu.Unlock()
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// recordsOf returns the message records collector name delivered.
func (s *sink) recordsOf(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.records[name]...)
}

// metricsOf returns how many metrics requests collector name delivered.
func (s *sink) metricsOf(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.metrics[name]
}

// countingProxy serves the simulator's API to one collector and counts its calls.
type countingProxy struct {
	url   string
	calls atomic.Int64
}

func newCountingProxy(t *testing.T, api http.Handler) *countingProxy {
	t.Helper()
	p := &countingProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}
