// Package otlpsink is the fake OTLP/HTTP backend of the end-to-end tests, the soak driver and
// the event benchmark: it answers /v1/logs and /v1/metrics (protobuf or JSON, gzipped or not)
// with 200, or with 503 while down, or not at all while it holds requests, and remembers what
// it accepted and refused.
package otlpsink

import (
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/logrecords"
)

// maxBody caps what the sink reads of one request, before and after gunzip.
const maxBody = 256 << 20

// Key names a message record: its event and its file's path.
func Key(event, path string) string { return event + " " + path }

// MessageKey is the Key of a message record (one with file.path); other records get "".
func MessageKey(r logrecords.Record) string {
	if path := r.Attr("file.path"); path != "" {
		return Key(r.Event, path)
	}
	return ""
}

// Options are what a user of the sink varies.
type Options struct {
	// Key names a log record; records it names "" are only counted (Others). Nil: MessageKey.
	Key func(logrecords.Record) string
	// Metrics, when set, sees each accepted metrics request.
	Metrics func(pmetric.Metrics)
}

// Batch is one logs request the sink answered.
type Batch struct {
	At       time.Time
	Run      int      // the sink's run (SetRun) when the request came
	Accepted bool     // answered 200; otherwise 503 (down) or 413 (too large)
	Keys     []string // the keys of its named records, in the request's order
	Times    []int64  // the same records' timestamps (ns)
	Bytes    int      // the request's size as it arrived
}

// Sink is an OTLP/HTTP backend on a free port of 127.0.0.1.
type Sink struct {
	URL  string
	opts Options
	srv  *http.Server

	mu              sync.Mutex
	down            bool
	held            chan struct{} // while not nil, requests wait for it to close
	abandoned       int           // held requests the client gave up on
	maxBytes        int           // a larger logs request is refused with 413, as New Relic does; 0: no limit
	run             int
	batches         []Batch
	accepted        map[string]int       // accepted records by key
	first           map[string]time.Time // arrival of each key's first accepted record
	others          int                  // accepted records without a key
	metricsAccepted int
	metricsRefused  int
	dataPoints      int // in the accepted metrics requests
}

// Start serves a sink until Close.
func Start(opts Options) (*Sink, error) {
	if opts.Key == nil {
		opts.Key = MessageKey
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sink{URL: "http://" + l.Addr().String(), opts: opts, accepted: map[string]int{}, first: map[string]time.Time{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// Close answers the held requests and stops serving.
func (s *Sink) Close() {
	s.Release()
	_ = s.srv.Close()
}

// Hold makes the sink hold each request that comes from now on unanswered until Release, so
// that the exporter sending to it keeps the data in memory.
func (s *Sink) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held == nil {
		s.held = make(chan struct{})
	}
}

// Release answers the held requests, and the sink answers later ones at once.
func (s *Sink) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held != nil {
		close(s.held)
		s.held = nil
	}
}

// Abandoned returns how many held requests the client gave up on before Release.
func (s *Sink) Abandoned() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.abandoned
}

// SetDown makes the sink refuse (503) or accept (200) what comes next.
func (s *Sink) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// SetMaxBytes makes the sink refuse logs requests larger than n bytes with 413.
func (s *Sink) SetMaxBytes(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxBytes = n
}

// SetRun tags the requests that come from now on, e.g. with the number of the collector's run.
func (s *Sink) SetRun(run int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.run = run
}

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, err := readBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	held := s.held
	s.mu.Unlock()
	if held != nil {
		select {
		case <-held:
		case <-r.Context().Done():
			s.mu.Lock()
			s.abandoned++
			s.mu.Unlock()
			return
		}
	}
	json := strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
	switch r.URL.Path {
	case "/v1/logs":
		req := plogotlp.NewExportRequest()
		if err := unmarshal(req.UnmarshalJSON, req.UnmarshalProto, json, body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch s.addLogs(at, req.Logs(), len(body)) {
		case http.StatusRequestEntityTooLarge:
			http.Error(w, "request too large for the test", http.StatusRequestEntityTooLarge)
		case http.StatusServiceUnavailable:
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
		default:
			writeProto(w, plogotlp.NewExportResponse().MarshalProto)
		}
	case "/v1/metrics":
		req := pmetricotlp.NewExportRequest()
		if err := unmarshal(req.UnmarshalJSON, req.UnmarshalProto, json, body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !s.addMetrics(req.Metrics()) {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		writeProto(w, pmetricotlp.NewExportResponse().MarshalProto)
	default:
		http.NotFound(w, r)
	}
}

// addLogs notes a logs request and returns the status it is answered with.
func (s *Sink) addLogs(at time.Time, ld plog.Logs, size int) int {
	b := Batch{At: at, Bytes: size}
	others := 0
	for _, r := range logrecords.Flatten(ld) {
		if key := s.opts.Key(r); key != "" {
			b.Keys = append(b.Keys, key)
			b.Times = append(b.Times, r.Time.UnixNano())
		} else {
			others++
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b.Run = s.run
	status := http.StatusOK
	switch {
	case s.maxBytes > 0 && size > s.maxBytes:
		status = http.StatusRequestEntityTooLarge
	case s.down:
		status = http.StatusServiceUnavailable
	default:
		b.Accepted = true
		s.others += others
		for _, k := range b.Keys {
			if s.accepted[k] == 0 {
				s.first[k] = at
			}
			s.accepted[k]++
		}
	}
	s.batches = append(s.batches, b)
	return status
}

// addMetrics notes a metrics request and tells whether it is accepted. Options.Metrics sees
// an accepted request before Counts does, so that a caller that waited for the count finds it.
func (s *Sink) addMetrics(md pmetric.Metrics) bool {
	s.mu.Lock()
	down := s.down
	if down {
		s.metricsRefused++
	}
	s.mu.Unlock()
	if down {
		return false
	}
	if s.opts.Metrics != nil {
		s.opts.Metrics(md)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.metricsAccepted++
	s.dataPoints += md.DataPointCount()
	return true
}

func unmarshal(fromJSON, fromProto func([]byte) error, json bool, body []byte) error {
	if json {
		return fromJSON(body)
	}
	return fromProto(body)
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

// Accepted returns the accepted records by key.
func (s *Sink) Accepted() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.accepted))
	for k, n := range s.accepted {
		out[k] = n
	}
	return out
}

// Arrival returns when the first accepted record of key arrived, and how many came.
func (s *Sink) Arrival(key string) (time.Time, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first[key], s.accepted[key]
}

// Batches returns the logs requests, accepted and refused, in the order they came.
func (s *Sink) Batches() []Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Batch(nil), s.batches...)
}

// Counts is what the sink answered so far.
type Counts struct {
	Records         int // accepted records with a key
	Others          int // accepted records without one
	LogsAccepted    int
	LogsRefused     int
	MetricsAccepted int
	MetricsRefused  int
	DataPoints      int // in the accepted metrics requests
}

// Counts returns what the sink answered so far.
func (s *Sink) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Counts{Others: s.others, MetricsAccepted: s.metricsAccepted, MetricsRefused: s.metricsRefused, DataPoints: s.dataPoints}
	for _, n := range s.accepted {
		c.Records += n
	}
	for _, b := range s.batches {
		if b.Accepted {
			c.LogsAccepted++
		} else {
			c.LogsRefused++
		}
	}
	return c
}
