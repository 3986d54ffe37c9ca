//go:build linux

package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/logrecords"
)

// maxBody caps what the sink reads of one request.
const maxBody = 256 << 20

// sink is the OTLP/HTTP backend: it counts the message records per file path and event, and
// the metrics requests, and refuses (503) while down.
type sink struct {
	url string
	srv *http.Server

	mu              sync.Mutex
	down            bool
	records         map[string]int // "event path" of message events
	otherRecords    int            // state-change events
	logsRequests    int
	refusedRequests int
	metricsRequests int
	dataPoints      int
}

func startSink() (*sink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{url: "http://" + l.Addr().String(), records: map[string]int{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *sink) close() { _ = s.srv.Close() }

func (s *sink) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = http.MaxBytesReader(w, r.Body, maxBody)
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer gz.Close()
		body = io.LimitReader(gz, maxBody)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		s.mu.Lock()
		s.refusedRequests++
		s.mu.Unlock()
		http.Error(w, "down for the soak", http.StatusServiceUnavailable)
		return
	}
	var resp []byte
	switch r.URL.Path {
	case "/v1/logs":
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(data); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.countLogs(req)
		resp, err = plogotlp.NewExportResponse().MarshalProto()
	case "/v1/metrics":
		req := pmetricotlp.NewExportRequest()
		if err := req.UnmarshalProto(data); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.metricsRequests++
		s.dataPoints += req.Metrics().DataPointCount()
		s.mu.Unlock()
		resp, err = pmetricotlp.NewExportResponse().MarshalProto()
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

func (s *sink) countLogs(req plogotlp.ExportRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logsRequests++
	for _, r := range logrecords.Flatten(req.Logs()) {
		if path, ok := r.Attrs["file.path"].(string); ok {
			s.records[recordKey(r.Event, path)]++
		} else {
			s.otherRecords++
		}
	}
}

// recordKey names a message record: its event and its file's path.
func recordKey(event, path string) string { return event + " " + path }

// counts returns a copy of the message records by key.
func (s *sink) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.records))
	for k, v := range s.records {
		out[k] = v
	}
	return out
}

// summary describes what the sink received.
func (s *sink) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	byEvent := map[string]int{}
	for k, v := range s.records {
		total += v
		event, _, _ := strings.Cut(k, " ")
		byEvent[event] += v
	}
	return fmt.Sprintf("%d metrics requests (%d data points), %d logs requests, %d refused requests; "+
		"%d message records %v, %d state-change records",
		s.metricsRequests, s.dataPoints, s.logsRequests, s.refusedRequests, total, byEvent, s.otherRecords)
}

// received returns the number of message records and metrics requests so far.
func (s *sink) received() (records, metricsRequests int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.records {
		records += v
	}
	return records, s.metricsRequests
}
