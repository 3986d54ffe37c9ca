package faults

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/receiveryaml"
)

// receiverConfig is the backbone receiver's block for the simulator; extra lines (indented
// by four spaces) are appended to it.
func receiverConfig(base, dir, extra string) string {
	return receiveryaml.Receiver{
		Endpoint: base, Username: simUser, Password: simPassword, Directory: dir, Interval: interval, Extra: extra,
	}.YAML()
}

// TestFaultsExporterDown takes the OTLP backend down (503) while error messages appear and
// resolve, then brings it back: every event must arrive exactly once. With the exporter's
// in-memory queue and retries, the exporter holds the refused requests; with both disabled,
// the refusal reaches the receiver, which keeps its records pending and offers them again
// with every scrape.
func TestFaultsExporterDown(t *testing.T) {
	e2eproc.CollectorBinary(t)
	t.Parallel()

	tests := []struct {
		desc     string
		exporter string // the otlp_http exporter's settings besides the endpoint
		// reoffered: the receiver itself sees the refusal, so each record waiting during the
		// outage is offered again in every scrape's request.
		reoffered bool
		// processors of both pipelines; none when empty.
		processors string
		// loses says why this configuration loses records; the case then runs only on request
		// (skipLossDemo) and checks that records were lost.
		loses string
	}{
		{
			desc: "sending queue in memory with retries",
			exporter: `
    sending_queue:
      enabled: true
      queue_size: 100
    retry_on_failure:
      enabled: true
      initial_interval: 200ms
      max_interval: 1s
      max_elapsed_time: 120s`,
		},
		{
			desc: "queue and retries disabled",
			exporter: `
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false`,
			reoffered: true,
		},
		{
			// What the examples had before they set max_elapsed_time: 0, with the default limit
			// of 300s shortened to fit in a test: the outage outlasts it.
			desc:       "batch and a persistent queue, outage longer than max_elapsed_time",
			processors: "[memory_limiter, batch]",
			exporter: `
    sending_queue:
      storage: file_storage
    retry_on_failure:
      initial_interval: 200ms
      max_interval: 1s
      max_elapsed_time: 3s`,
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
			cfg := writeConfig(t, `
receivers:%s
processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: 512
    spike_limit_mib: 128
  batch:
extensions:
  file_storage:
    directory: %q
exporters:
  otlp_http:
    endpoint: %q
    compression: none
    timeout: 5s%s
service:
  extensions: [file_storage]
  pipelines:
    metrics:
      receivers: [backbone]
      processors: %[5]s
      exporters: [otlp_http]
    logs:
      receivers: [backbone]
      processors: %[5]s
      exporters: [otlp_http]
  telemetry:
    metrics:
      level: none
`, receiverConfig(base, dir, ""), t.TempDir(), s.url, tt.exporter, cmp.Or(tt.processors, "[]"))
			c := startCollector(t, "exporter down", cfg)
			s.waitMetrics(t, c, 2)

			// Before the outage: the pipeline works.
			e0 := putMessage(t, sim, "INT-16", "AP-29", backbonesim.FolderError, "AP-1")
			want := []string{messageKey("backbone.message.error", e0)}
			s.requireAccepted(t, c, 20*time.Second, want...)

			s.setDown(true)
			downAt := time.Now()
			var during []string // what the outage must not lose
			_, err := sim.MoveMessage(e0, backbonesim.FolderArchive, "")
			require.NoError(t, err)
			during = append(during, messageKey("backbone.message.resolved", e0))
			var short string // appears and resolves during the outage, seen in between
			for i := range 5 {
				e := putMessage(t, sim, "INT-16", "AP-29", backbonesim.FolderError, fmt.Sprintf("AP-%d", 10+i))
				x := putMessage(t, sim, "INT-17", "AP-39", backbonesim.FolderSendError, "")
				q := putMessage(t, sim, "INT-15", "SP-28", backbonesim.FolderSequenceError, "")
				during = append(during,
					messageKey("backbone.message.error", e),
					messageKey("backbone.message.send_error", x),
					messageKey("backbone.message.sequence_error", q))
				if i == 0 {
					short = e
				}
				waitRequests(t, c, sim, 1)
			}
			_, err = sim.MoveMessage(short, backbonesim.FolderArchive, "")
			require.NoError(t, err)
			during = append(during, messageKey("backbone.message.resolved", short))
			waitRequests(t, c, sim, 2)

			// While down, nothing reached the backend, but the records were offered.
			requests, refusedRecords := s.refused()
			assert.GreaterOrEqual(t, requests, 3, "logs requests refused during the outage")
			for _, k := range during {
				assert.Zero(t, s.accepted()[k], "accepted while the backend was down: %s", k)
			}
			if tt.reoffered {
				// The first message of the outage waited through every later scrape.
				first := messageKey("backbone.message.error", short)
				assert.GreaterOrEqual(t, refusedRecords[first], 3, "times %s was offered and refused", first)
			}
			_, metricsRefused := s.metrics()
			t.Logf("outage of %s: %d logs requests refused (%d records, counting repeats), %d metrics requests refused",
				time.Since(downAt).Round(100*time.Millisecond), requests, sum(refusedRecords), metricsRefused)

			s.setDown(false)
			want = append(want, during...)
			s.waitAccepted(c, 30*time.Second, want...)
			s.waitMetrics(t, c, 3) // time for repeats to show
			if n := countLines(c.Output(), "Dropping data"); n > 0 {
				t.Logf("the exporter logged %d times that it dropped data", n)
			}
			if tt.loses != "" {
				missing := slices.DeleteFunc(slices.Clone(want), func(k string) bool { return s.accepted()[k] > 0 })
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
