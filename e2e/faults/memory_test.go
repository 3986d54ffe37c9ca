package faults

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
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
	// The ballast's backend holds every request unanswered, so that the exporter keeps the
	// ballast in memory.
	hold := newSink(t)
	hold.Hold()
	otlpPort, telemetryPort := e2eproc.FreePort(t), e2eproc.FreePort(t)
	cfg := writeConfig(t, collectoryaml.Config{
		Receiver: receiver(base, dir, ""),
		Exporter: collectoryaml.Exporter{
			Endpoint: s.URL, Compression: "none",
			Queue: &collectoryaml.Queue{Disabled: true}, Retry: &collectoryaml.Retry{Disabled: true},
		},
		Processors: fmt.Sprintf(`  memory_limiter:
    check_interval: 100ms
    limit_mib: %d
    spike_limit_mib: %d
    min_gc_interval_when_soft_limited: 1s
    max_gc_interval_when_soft_limited: 2s
    max_gc_interval_when_hard_limited: 2s
`, limitMiB, spikeMiB),
		MetricsProcessors: []string{"memory_limiter"},
		LogsProcessors:    []string{"memory_limiter"},
		Telemetry:         selfmetrics.TelemetryYAML(telemetryPort),
	})
	// The ballast pipeline, in a second file the collector merges into the first.
	ballast := filepath.Join(t.TempDir(), "ballast.yaml")
	require.NoError(t, os.WriteFile(ballast, fmt.Appendf(nil, `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
exporters:
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
    logs/ballast:
      receivers: [otlp]
      exporters: [otlp_http/ballast]
`, otlpPort, hold.URL, ballastParts), 0o600))
	c := e2eproc.StartEnv(t, context.Background(), "collector (memory limiter)", e2eproc.CollectorBinary(t), nil, "--config", cfg, "--config", ballast)
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

	during, _ := changeDuring(t, c, sim, e0, 4)

	// Still under pressure: nothing went through, and the receiver saw its records refused.
	refused := selfMetric(t, telemetryPort, "otelcol_receiver_refused_log_records", `receiver="backbone"`) - refusedBefore
	acceptedDuring, _ := s.metrics()
	require.Greater(t, selfMetric(t, telemetryPort, "otelcol_process_runtime_heap_alloc_bytes"), float64((limitMiB-spikeMiB)<<20),
		"the pressure ended before the test released it (ballast requests abandoned by the exporter: %d)", hold.Abandoned())
	assert.Equal(t, acceptedBefore, acceptedDuring, "metrics requests that passed the memory limiter under pressure")
	for _, k := range during {
		assert.Zero(t, s.Accepted()[k], "accepted under memory pressure: %s", k)
	}
	assert.Positive(t, refused, "log records refused to the backbone receiver (otelcol_receiver_refused_log_records)")
	t.Logf("heap at rest %.1f MiB, under pressure %.1f MiB (limit %d MiB, soft limit %d MiB); %v log records refused to the receiver, counting re-offers",
		heapAtRest/(1<<20), heapUnderPressure/(1<<20), limitMiB, limitMiB-spikeMiB, refused)

	// The limiter logs "Resuming normal operation" only when memory drops between its checks,
	// not when its own forced GC brings it down: wait for the data instead.
	hold.Release()
	want = append(want, during...)
	s.waitAccepted(c, 30*time.Second, want...)
	s.waitMetrics(t, c, 3) // time for repeats to show
	assertOnce(t, s, want)
	require.False(t, c.Exited(), "collector exited: %v", c.Err())
}
