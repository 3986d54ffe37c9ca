package backbonereceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

// BenchmarkTickAPI measures the CPU of one tick of a receiver that reads n integrations
// from the API, in a metrics and a logs pipeline ending in no-op consumers: HTTP, decoding,
// state sets, metric and event records, emit. The test server answers with bytes it
// prepared beforehand; its share of the CPU is part of the figure. cpu-ms/tick is user
// plus system time of the whole process per tick (target: at most 2.5 times copy's).
//
// list=unchanged answers the same list at every tick, as a Backbone where nothing happens
// does; list=changed changes every integration between two ticks (issuesInError), which
// no Backbone does. copy is the floor of any emit of the same metrics: copying the tick's
// pmetric.Metrics (32 data points per integration, most of them the zeros of state sets),
// without decoding or building anything.
func BenchmarkTickAPI(b *testing.B) {
	for _, n := range []int{1000, 2000} {
		bodies := [][]byte{manyIntegrations(b, n, 0), manyIntegrations(b, n, 1)}
		for _, list := range []string{"unchanged", "changed"} {
			b.Run(fmt.Sprintf("integrations=%d/list=%s", n, list), func(b *testing.B) {
				var requests atomic.Int64
				url := serveList(b, func() []byte {
					if list == "changed" {
						return bodies[requests.Add(1)%2]
					}
					return bodies[0]
				})
				r := startBenchReceiver(b, newTestConfig(url, ""), consumertest.NewNop())
				r.tick(b.Context(), stepDue()) // the first observation sets the state baseline

				b.ReportAllocs()
				b.ResetTimer()
				before := cpuTime(b)
				for b.Loop() {
					snap := r.tick(b.Context(), stepDue())
					if snap.api.err != nil {
						b.Fatal(snap.api.err)
					}
				}
				b.ReportMetric(float64((cpuTime(b)-before).Microseconds())/1000/float64(b.N), "cpu-ms/tick")
			})
		}
		b.Run(fmt.Sprintf("integrations=%d/copy", n), func(b *testing.B) {
			url := serveList(b, func() []byte { return bodies[0] })
			sink := new(consumertest.MetricsSink)
			r := startBenchReceiver(b, newTestConfig(url, ""), sink)
			r.tick(b.Context(), stepDue())
			md := sink.AllMetrics()[0]

			b.ReportAllocs()
			b.ResetTimer()
			before := cpuTime(b)
			for b.Loop() {
				md.CopyTo(pmetric.NewMetrics())
			}
			b.ReportMetric(float64((cpuTime(b)-before).Microseconds())/1000/float64(b.N), "cpu-ms/tick")
			b.ReportMetric(float64(md.DataPointCount()), "points")
		})
	}
}

// serveList answers every request with the integrations list body returns, until the end of
// the benchmark, and returns the server's URL.
func serveList(b *testing.B, body func() []byte) string {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body())
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// startBenchReceiver starts a receiver of cfg, its metrics going to next and its
// events to a no-op consumer; it is shut down at the end of the benchmark.
func startBenchReceiver(b *testing.B, cfg *Config, next consumer.Metrics) *backboneReceiver {
	b.Helper()
	set := receivertest.NewNopSettings(metadata.Type)
	r, err := newReceiver(cfg, set)
	require.NoError(b, err)
	require.NoError(b, r.registerMetrics(next, set))
	require.NoError(b, r.registerLogs(consumertest.NewNop(), set))
	require.NoError(b, r.startOutputs(b.Context(), componenttest.NewNopHost()))
	b.Cleanup(func() { require.NoError(b, r.Shutdown(context.Background())) })
	return r
}

// manyIntegrations returns an integrations list of n copies of the seed's centralized
// integration INT-16 (connectors AP-29, PB-30), each with its own keys and issuesInError
// as given.
func manyIntegrations(tb testing.TB, n int, issuesInError int) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "api", "integrations.json"))
	require.NoError(tb, err)
	var seed []json.RawMessage
	require.NoError(tb, json.Unmarshal(data, &seed))
	var compact bytes.Buffer
	require.NoError(tb, json.Compact(&compact, seed[0]))
	template := compact.String()
	require.Contains(tb, template, `"INT-16"`)
	require.Contains(tb, template, `"issuesInError":0`)
	list := make([]json.RawMessage, n)
	for i := range n {
		list[i] = json.RawMessage(strings.NewReplacer(
			`"INT-16"`, fmt.Sprintf(`"INT-%d"`, 1000+i),
			`"AP-29"`, fmt.Sprintf(`"AP-%d"`, 1000+i),
			`"PB-30"`, fmt.Sprintf(`"PB-%d"`, 1000+i),
			`"issuesInError":0`, fmt.Sprintf(`"issuesInError":%d`, issuesInError),
		).Replace(template))
	}
	out, err := json.Marshal(list)
	require.NoError(tb, err)
	return out
}

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	require.NoError(tb, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRefreshManyIntegrations measures how long the receiver takes to read the state
// of 1,000 integrations from a Backbone 4.x, which lists them without their status (1,001
// calls), each status answering in 50 ms, with max_concurrent_requests at its default. It
// ticks, as the collector does when a tick takes its whole budget, until every
// integration's status has been read once, and reports the wall time (s/refresh), the
// ticks, the calls and the 429 answers that took.
//
// rate=off runs without Jira's rate limiting, with the default timeout; rate=jira with it
// on at the example setting of Atlassian's documentation, 10 requests every second, at
// most 100 at once, and the tick's budget (timeout) raised to a 60 s collection interval:
// the 1,001 calls then need about 90 s whatever the concurrency.
func BenchmarkRefreshManyIntegrations(b *testing.B) {
	const n = 1000
	for _, bc := range []struct {
		rate    string
		limit   backbonesim.RateLimit
		timeout time.Duration
	}{
		{"off", backbonesim.RateLimit{}, defaultTimeout},
		{"jira", backbonesim.RateLimit{PerSecond: 10, Burst: 100}, time.Minute},
	} {
		b.Run(fmt.Sprintf("rate=%s/timeout=%s", bc.rate, bc.timeout), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				sim, err := backbonesim.New(backbonesim.Options{
					Dir: b.TempDir(), Empty: true, RateLimit: bc.limit,
					Quirks: backbonesim.Quirks{ListWithoutStatus: true, StatusLatency: 50 * time.Millisecond},
				})
				require.NoError(b, err)
				for i := range n {
					require.NoError(b, sim.AddIntegration(backbonesim.IntegrationSpec{
						Key: fmt.Sprintf("INT-%d", i),
						Connectors: []backbonesim.ConnectorSpec{
							{Key: fmt.Sprintf("A-%d", i), ProjectKey: "AP"},
							{Key: fmt.Sprintf("B-%d", i), ProjectKey: "PB"},
						},
					}))
				}
				srv := httptest.NewServer(sim)
				b.Cleanup(func() {
					srv.Close()
					_ = sim.Close()
				})
				cfg := newTestConfig(srv.URL, "")
				cfg.Username, cfg.Password = backbonesim.DefaultUsername, backbonesim.DefaultPassword
				cfg.ControllerConfig.Timeout = bc.timeout
				r := startBenchReceiver(b, cfg, consumertest.NewNop())
				b.StartTimer()

				start, read, ticks := time.Now(), map[string]bool{}, 0
				for len(read) < n {
					snap := r.tick(b.Context(), stepDue())
					ticks++
					for key, age := range snap.api.statusAge {
						if age == 0 {
							read[key] = true
						}
					}
					require.Less(b, ticks, 10, "no full refresh in 10 ticks")
				}
				b.ReportMetric(time.Since(start).Seconds(), "s/refresh")
				b.ReportMetric(float64(ticks), "ticks/refresh")
				st := sim.Stats()
				b.ReportMetric(float64(st.Requests), "calls/refresh")
				b.ReportMetric(float64(st.RateLimited), "429s/refresh")
			}
		})
	}
}
