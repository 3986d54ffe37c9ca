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
				r := startBenchReceiver(b, url, consumertest.NewNop())
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
			r := startBenchReceiver(b, url, sink)
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

// startBenchReceiver starts a receiver on the API at url, its metrics going to next and its
// events to a no-op consumer; it is shut down at the end of the benchmark.
func startBenchReceiver(b *testing.B, url string, next consumer.Metrics) *backboneReceiver {
	b.Helper()
	cfg := newTestConfig(url, "")
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
