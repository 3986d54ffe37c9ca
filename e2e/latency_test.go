package e2e

import (
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-backbone/otelcol-backbone/internal/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/latency"
	"github.com/otelcol-backbone/otelcol-backbone/internal/logrecords"
	"github.com/otelcol-backbone/otelcol-backbone/internal/receiveryaml"
)

// arrivalSink is an OTLP/HTTP server that notes when each message record first arrived,
// and how often each came.
type arrivalSink struct {
	url string

	mu      sync.Mutex
	first   map[string]time.Time // messageKey -> arrival of its first request
	count   map[string]int
	metrics int // metrics requests
}

func newArrivalSink(t *testing.T) *arrivalSink {
	t.Helper()
	s := &arrivalSink{first: map[string]time.Time{}, count: map[string]int{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.url = "http://" + l.Addr().String()
	return s
}

func (s *arrivalSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	data, err := io.ReadAll(io.LimitReader(body, 64<<20))
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
		for _, r := range logrecords.Flatten(req.Logs()) {
			if path := r.Attr("file.path"); path != "" {
				key := messageKey(r.Event, path)
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

// arrival returns when the record of key first arrived.
func (s *arrivalSink) arrival(key string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.first[key]
	return at, ok
}

func (s *arrivalSink) metricsRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.metrics
}

// repeated returns the keys that arrived more than once.
func (s *arrivalSink) repeated() map[string]int {
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

// latencyConfig is the collector's configuration around the receiver's block: both
// pipelines straight to the sink.
const latencyConfig = `
receivers:%s
exporters:
  otlp_http:
    endpoint: %q
    compression: none
    retry_on_failure:
      enabled: false
service:
  pipelines:
    metrics:
      receivers: [backbone]
      exporters: [otlp_http]
    logs:
      receivers: [backbone]
      exporters: [otlp_http]
  telemetry:
    metrics:
      level: none
`

// TestE2EEventLatency drops messages into RECEIVE/error/<issue>/ and SEND/error/ of the
// simulator's tree and removes them again, with collection_interval 60s, and measures when
// each record reaches an OTLP sink: with notification the issue's target is 2 s, without it
// events_poll_interval + 1 s. The test waits well below the interval, so it fails if events
// came only with the full scan; it logs the latencies and does not assert them.
func TestE2EEventLatency(t *testing.T) {
	tests := []struct {
		desc   string
		notify bool
		poll   time.Duration
		target time.Duration
	}{
		{desc: "notified", notify: true, poll: 5 * time.Second, target: 2 * time.Second},
		{desc: "polled", notify: false, poll: 2 * time.Second, target: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			sim, base := newSim(t, filepath.Join(t.TempDir(), "backbone-issue-sync"), "")
			sink := newArrivalSink(t)
			cfgPath := filepath.Join(t.TempDir(), "config.yaml")
			// collection_interval far longer than the test's waits: every event it sees came
			// between full scans.
			receiver := receiveryaml.Receiver{
				Endpoint: base, Username: simUser, Password: simPassword, Directory: sim.Dir(), Interval: time.Minute,
				Extra: fmt.Sprintf("    events_notify: %t\n    events_poll_interval: %s\n", tt.notify, tt.poll),
			}
			require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, latencyConfig, receiver.YAML(), sink.url), 0o600))
			c := startCollector(t, cfgPath)
			e2eproc.Eventually(t, c, 30*time.Second, "the first scrape's metrics", func() bool { return sink.metricsRequests() > 0 })

			const drops = 8
			wait := tt.target + 10*time.Second // generous, yet far below the 60 s interval
			var appeared, resolved []time.Duration
			var paths []string
			for i := range drops {
				folder, issue := backbonesim.FolderSendError, ""
				if i%2 == 0 {
					folder, issue = backbonesim.FolderError, "AP-"+strconv.Itoa(100+i)
				}
				dropped := time.Now()
				path := putMessage(t, sim, "INT-16", "AP-29", folder, issue)
				paths = append(paths, path)
				event := "backbone.message.send_error"
				if folder == backbonesim.FolderError {
					event = "backbone.message.error"
				}
				appeared = append(appeared, waitArrival(t, c, sink, messageKey(event, path), dropped, wait))
				time.Sleep(phase(i))
			}
			for i, path := range paths {
				removed := time.Now()
				require.NoError(t, sim.RemoveMessage(path))
				resolved = append(resolved, waitArrival(t, c, sink, messageKey("backbone.message.resolved", path), removed, wait))
				time.Sleep(phase(i))
			}
			t.Logf("%s (events_notify %t, events_poll_interval %s, target %s): appeared %s; resolved %s",
				tt.desc, tt.notify, tt.poll, tt.target, latency.Of(appeared), latency.Of(resolved))
			assert.Empty(t, sink.repeated(), "each record once")
		})
	}
}

// phase spreads the drops over the poll's phase: a drop right after the previous record
// arrived would always come just after a poll.
func phase(i int) time.Duration { return time.Duration(i%4) * 500 * time.Millisecond }

// waitArrival waits for the record of key and returns how long after since it arrived.
func waitArrival(t *testing.T, c *collector, sink *arrivalSink, key string, since time.Time, wait time.Duration) time.Duration {
	t.Helper()
	var at time.Time
	e2eproc.Eventually(t, c, wait, key, func() bool {
		var ok bool
		at, ok = sink.arrival(key)
		return ok
	})
	return at.Sub(since)
}
