//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-backbone/otelcol-backbone/internal/logrecords"
)

// sink is an OTLP/HTTP backend that notes when each message record first arrived and how
// often each came.
type sink struct {
	url string
	srv *http.Server

	mu      sync.Mutex
	first   map[string]time.Time // "<event> <file.path>" -> arrival
	count   map[string]int
	metrics int
}

func startSink() (*sink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{url: "http://" + l.Addr().String(), first: map[string]time.Time{}, count: map[string]int{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *sink) close() { _ = s.srv.Close() }

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
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
		if err := req.UnmarshalProto(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, r := range logrecords.Flatten(req.Logs()) {
			if path := r.Attr("file.path"); path != "" {
				key := r.Event + " " + path
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

func (s *sink) metricsRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.metrics
}

// arrival returns when the record of key first arrived, and how many times it came.
func (s *sink) arrival(key string) (time.Time, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first[key], s.count[key]
}

// waitArrival waits for the record of key and returns how long after since it arrived.
func (s *sink) waitArrival(ctx context.Context, key string, since time.Time, timeout time.Duration) (time.Duration, error) {
	var at time.Time
	err := waitFor(ctx, timeout, func() bool {
		var n int
		at, n = s.arrival(key)
		return n > 0
	})
	if err != nil {
		return 0, fmt.Errorf("record %s: %w", key, err)
	}
	return at.Sub(since), nil
}
