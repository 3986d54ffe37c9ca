// Package arrivals is an OTLP/HTTP backend for latency measurements: it notes when each
// message record first arrived and how often each came. The end-to-end latency test and
// the event benchmark driver share it.
package arrivals

import (
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/logrecords"
)

// maxBody caps what the sink reads of one request.
const maxBody = 64 << 20

// Key names a message record: its event and its file's path.
func Key(event, path string) string { return event + " " + path }

// Sink answers OTLP/HTTP requests on 127.0.0.1 with 200 and keeps, for each message record
// (one with file.path), when it first arrived and how many times.
type Sink struct {
	URL string
	srv *http.Server

	mu      sync.Mutex
	first   map[string]time.Time // Key -> arrival of its first request
	count   map[string]int
	metrics int // metrics requests
}

// Start serves a sink on a free port of 127.0.0.1 until Close.
func Start() (*Sink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sink{URL: "http://" + l.Addr().String(), first: map[string]time.Time{}, count: map[string]int{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// Close stops serving.
func (s *Sink) Close() { _ = s.srv.Close() }

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer gz.Close()
		body = gz
	}
	data, err := io.ReadAll(io.LimitReader(body, maxBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.URL.Path {
	case "/v1/metrics":
		s.metrics++
	case "/v1/logs":
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(data); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, rec := range logrecords.Flatten(req.Logs()) {
			if path := rec.Attr("file.path"); path != "" {
				key := Key(rec.Event, path)
				if s.count[key] == 0 {
					s.first[key] = at
				}
				s.count[key]++
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// Arrival returns when the record of key first arrived, and how many times it came.
func (s *Sink) Arrival(key string) (time.Time, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first[key], s.count[key]
}

// MetricsRequests returns how many metrics requests came.
func (s *Sink) MetricsRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.metrics
}

// Repeated returns the keys that arrived more than once, with their counts.
func (s *Sink) Repeated() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, n := range s.count {
		if n > 1 {
			out[k] = n
		}
	}
	return out
}
