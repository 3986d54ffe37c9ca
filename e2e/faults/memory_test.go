package faults

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/selfmetrics"
)

// Memory limiter settings of the test: the collector's heap is about 5 MiB at rest here, far
// below the soft limit (limit minus spike); the ballast alone exceeds the hard limit.
const (
	limitMiB      = 40
	spikeMiB      = 10
	ballastParts  = 6
	ballastRecord = 8 << 20 // bytes of body per ballast request, below the OTLP receiver's 20 MiB cap
)

// hangingSink accepts OTLP/HTTP requests and holds each one unanswered until release, so that
// the exporter sending to it keeps the data in memory.
type hangingSink struct {
	url       string
	release   chan struct{}
	once      sync.Once
	abandoned atomic.Int32 // requests the exporter gave up on before release
}

func newHangingSink(t *testing.T) *hangingSink {
	t.Helper()
	h := &hangingSink{release: make(chan struct{})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		h.open()
		_ = srv.Close()
	})
	h.url = "http://" + l.Addr().String()
	return h
}

func (h *hangingSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, err := readBody(r); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	select {
	case <-h.release:
	case <-r.Context().Done():
		h.abandoned.Add(1)
		return
	}
	writeProto(w, plogotlp.NewExportResponse().MarshalProto)
}

// open answers every held request and every later one.
func (h *hangingSink) open() { h.once.Do(func() { close(h.release) }) }

// postBallast sends one large log record to the collector's OTLP/HTTP receiver.
func postBallast(port, size int) error {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Body().SetStr(strings.Repeat("ballast ", size/8))
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	if err != nil {
		return err
	}
	client := http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post(fmt.Sprintf("http://127.0.0.1:%d/v1/logs", port), "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ballast refused: %s", resp.Status)
	}
	return nil
}

// TestFaultsMemoryLimiter puts the collector under real memory pressure: a second logs
// pipeline (OTLP receiver -> exporter whose backend holds every request unanswered) keeps
// about 50 MiB of log records in memory, above the memory_limiter's hard limit. The
// limiter in front of the backbone receiver's pipelines then refuses every scrape. Error
// messages appear and resolve meanwhile; once the backend answers and the heap shrinks, each
// of their events must arrive exactly once.
func TestFaultsMemoryLimiter(t *testing.T) {
	e2eproc.CollectorBinary(t)
	t.Parallel()

	sim, dir, base := newSim(t)
	s := newSink(t)
	hold := newHangingSink(t)
	otlpPort, telemetryPort := e2eproc.FreePort(t), e2eproc.FreePort(t)
	cfg := writeConfig(t, `
receivers:%s
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
processors:
  memory_limiter:
    check_interval: 100ms
    limit_mib: %d
    spike_limit_mib: %d
    min_gc_interval_when_soft_limited: 1s
    max_gc_interval_when_soft_limited: 2s
    max_gc_interval_when_hard_limited: 2s
exporters:
  otlp_http:
    endpoint: %q
    compression: none
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
  otlp_http/ballast:
    endpoint: %q
    compression: none
    timeout: 120s
    retry_on_failure:
      enabled: false
    sending_queue:
      enabled: true
      num_consumers: %d
service:
  pipelines:
    metrics:
      receivers: [backbone]
      processors: [memory_limiter]
      exporters: [otlp_http]
    logs:
      receivers: [backbone]
      processors: [memory_limiter]
      exporters: [otlp_http]
    logs/ballast:
      receivers: [otlp]
      exporters: [otlp_http/ballast]%s
`, receiverConfig(base, dir, ""), otlpPort, limitMiB, spikeMiB, s.url, hold.url, ballastParts, selfmetrics.TelemetryYAML(telemetryPort))
	c := startCollector(t, "memory limiter", cfg)
	s.waitMetrics(t, c, 2)
	heapAtRest := selfMetric(t, telemetryPort, "otelcol_process_runtime_heap_alloc_bytes")

	e0 := putMessage(t, sim, "INT-16", "AP-29", backbonesim.FolderError, "AP-1")
	want := []string{messageKey("backbone.message.error", e0)}
	s.requireAccepted(t, c, 20*time.Second, want...)

	// Memory pressure: the ballast waits in the exporter, in flight to a backend that does
	// not answer.
	for range ballastParts {
		require.NoError(t, postBallast(otlpPort, ballastRecord))
	}
	e2eproc.Eventually(t, c, 20*time.Second, "the memory limiter refusing data", func() bool {
		return strings.Contains(c.Output(), "Refusing data")
	})
	heapUnderPressure := selfMetric(t, telemetryPort, "otelcol_process_runtime_heap_alloc_bytes")
	refusedBefore := selfMetric(t, telemetryPort, "otelcol_receiver_refused_log_records", `receiver="backbone"`)
	acceptedBefore, _ := s.metrics()

	var during []string
	_, err := sim.MoveMessage(e0, backbonesim.FolderArchive, "")
	require.NoError(t, err)
	during = append(during, messageKey("backbone.message.resolved", e0))
	var short string
	for i := range 4 {
		e := putMessage(t, sim, "INT-16", "AP-29", backbonesim.FolderError, fmt.Sprintf("AP-%d", 10+i))
		x := putMessage(t, sim, "INT-17", "AP-39", backbonesim.FolderSendError, "")
		during = append(during, messageKey("backbone.message.error", e), messageKey("backbone.message.send_error", x))
		if i == 0 {
			short = e
		}
		waitRequests(t, c, sim, 1)
	}
	_, err = sim.MoveMessage(short, backbonesim.FolderArchive, "")
	require.NoError(t, err)
	during = append(during, messageKey("backbone.message.resolved", short))
	waitRequests(t, c, sim, 2)

	// Still under pressure: nothing went through, and the receiver saw its records refused.
	refused := selfMetric(t, telemetryPort, "otelcol_receiver_refused_log_records", `receiver="backbone"`) - refusedBefore
	acceptedDuring, _ := s.metrics()
	require.Greater(t, selfMetric(t, telemetryPort, "otelcol_process_runtime_heap_alloc_bytes"), float64((limitMiB-spikeMiB)<<20),
		"the pressure ended before the test released it (ballast requests abandoned by the exporter: %d)", hold.abandoned.Load())
	assert.Equal(t, acceptedBefore, acceptedDuring, "metrics requests that passed the memory limiter under pressure")
	for _, k := range during {
		assert.Zero(t, s.accepted()[k], "accepted under memory pressure: %s", k)
	}
	assert.Positive(t, refused, "log records refused to the backbone receiver (otelcol_receiver_refused_log_records)")
	t.Logf("heap at rest %.1f MiB, under pressure %.1f MiB (limit %d MiB, soft limit %d MiB); %v log records refused to the receiver, counting re-offers",
		heapAtRest/(1<<20), heapUnderPressure/(1<<20), limitMiB, limitMiB-spikeMiB, refused)

	// The limiter logs "Resuming normal operation" only when memory drops between its checks,
	// not when its own forced GC brings it down: wait for the data instead.
	hold.open()
	want = append(want, during...)
	s.waitAccepted(c, 30*time.Second, want...)
	s.waitMetrics(t, c, 3) // time for repeats to show
	assertOnce(t, s, want)
	require.False(t, c.Exited(), "collector exited: %v", c.Err())
}
