package faults

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
)

// TestFaultsExporterDown takes the OTLP backend down (503) while error messages appear and
// resolve, then brings it back: every event must arrive exactly once. With the exporter's
// in-memory queue and retries, the exporter holds the refused requests; with both disabled,
// the refusal reaches the receiver, which keeps its records pending and offers them again
// with every scrape.
func TestFaultsExporterDown(t *testing.T) {
	e2eproc.CollectorBinary(t)
	t.Parallel()

	tests := []struct {
		desc  string
		queue *collectoryaml.Queue
		retry *collectoryaml.Retry
		// reoffered: the receiver itself sees the refusal, so each record waiting during the
		// outage is offered again in every scrape's request.
		reoffered bool
		// processors of both pipelines, of limiterAndBatch.
		processors []string
		// loses says why this configuration loses records; the case then runs only on request
		// (skipLossDemo) and checks that records were lost.
		loses string
	}{
		{
			desc:  "sending queue in memory with retries",
			queue: &collectoryaml.Queue{Size: 100},
			retry: &collectoryaml.Retry{Initial: 200 * time.Millisecond, Max: time.Second, MaxElapsed: 120 * time.Second},
		},
		{
			desc:      "queue and retries disabled",
			queue:     &collectoryaml.Queue{Disabled: true},
			retry:     &collectoryaml.Retry{Disabled: true},
			reoffered: true,
		},
		{
			// What the examples had before they set max_elapsed_time: 0, with the default limit
			// of 300s shortened to fit in a test: the outage outlasts it.
			desc:       "batch and a persistent queue, outage longer than max_elapsed_time",
			processors: []string{"memory_limiter", "batch"},
			queue:      &collectoryaml.Queue{Persistent: true},
			retry:      &collectoryaml.Retry{Initial: 200 * time.Millisecond, Max: time.Second, MaxElapsed: 3 * time.Second},
			loses: "the queue drops a request once retry_on_failure.max_elapsed_time (default 300s) has passed, " +
				"after the receiver counted it as delivered",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			skipLossDemo(t, tt.loses)
			t.Parallel()
			sim, dir, base := newSim(t)
			s := newSink(t)
			cfg := writeConfig(t, collectoryaml.Config{
				Receiver: receiver(base, dir, ""),
				Exporter: collectoryaml.Exporter{
					Endpoint: s.URL, Compression: "none", Timeout: 5 * time.Second, Queue: tt.queue, Retry: tt.retry,
				},
				Storage:           t.TempDir(),
				Processors:        limiterAndBatch,
				MetricsProcessors: tt.processors,
				LogsProcessors:    tt.processors,
			})
			c := startCollector(t, "exporter down", cfg)
			s.waitMetrics(t, c, 2)

			// Before the outage: the pipeline works.
			e0 := putMessage(t, sim, "INT-16", "AP-29", backbonesim.FolderError, "AP-1")
			want := []string{messageKey("backbone.message.error", e0)}
			s.requireAccepted(t, c, 20*time.Second, want...)

			s.SetDown(true)
			downAt := time.Now()
			during, short := changeDuring(t, c, sim, e0, 5) // what the outage must not lose

			// While down, nothing reached the backend, but the records were offered.
			requests, refusedRecords := s.refused()
			assert.GreaterOrEqual(t, requests, 3, "logs requests refused during the outage")
			for _, k := range during {
				assert.Zero(t, s.Accepted()[k], "accepted while the backend was down: %s", k)
			}
			if tt.reoffered {
				// The first message of the outage waited through every later scrape.
				first := messageKey("backbone.message.error", short)
				assert.GreaterOrEqual(t, refusedRecords[first], 3, "times %s was offered and refused", first)
			}
			_, metricsRefused := s.metrics()
			t.Logf("outage of %s: %d logs requests refused (%d records, counting repeats), %d metrics requests refused",
				time.Since(downAt).Round(100*time.Millisecond), requests, sum(refusedRecords), metricsRefused)

			s.SetDown(false)
			want = append(want, during...)
			s.waitAccepted(c, 30*time.Second, want...)
			s.waitMetrics(t, c, 3) // time for repeats to show
			if n := e2eproc.CountLines(c.Output(), "Dropping data"); n > 0 {
				t.Logf("the exporter logged %d times that it dropped data", n)
			}
			if tt.loses != "" {
				missing := slices.DeleteFunc(slices.Clone(want), func(k string) bool { return s.Accepted()[k] > 0 })
				t.Logf("%d of %d records never accepted", len(missing), len(want))
				assert.NotEmpty(t, missing, "records lost: %s", tt.loses)
				return
			}
			assertOnce(t, s, want)
			require.False(t, c.Exited(), "collector exited: %v", c.Err())
		})
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
