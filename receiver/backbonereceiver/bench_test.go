package backbonereceiver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

// BenchmarkTickAPI measures the CPU of one tick of a receiver that reads n integrations
// from the API, in a metrics and a logs pipeline ending in no-op consumers: HTTP, decoding,
// state sets, metric and event records, emit. The test server answers with bytes it
// prepared beforehand; its share of the CPU is part of the figure. cpu-ms/tick is user
// plus system time of the whole process per tick (target: at most 30 ms at 1,000).
func BenchmarkTickAPI(b *testing.B) {
	for _, n := range []int{1000, 2000} {
		b.Run(fmt.Sprintf("integrations=%d", n), func(b *testing.B) {
			body := manyIntegrations(b, n)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			cfg := newTestConfig(srv.URL, "")
			set := receivertest.NewNopSettings(metadata.Type)
			r, err := newReceiver(cfg, set)
			require.NoError(b, err)
			require.NoError(b, r.registerMetrics(consumertest.NewNop(), set))
			require.NoError(b, r.registerLogs(consumertest.NewNop(), set))
			require.NoError(b, r.startOutputs(b.Context(), componenttest.NewNopHost()))
			defer func() { require.NoError(b, r.Shutdown(b.Context())) }()
			r.tick(b.Context()) // the first observation sets the state baseline

			b.ReportAllocs()
			b.ResetTimer()
			before := cpuTime(b)
			for b.Loop() {
				snap := r.tick(b.Context())
				if snap.api.err != nil {
					b.Fatal(snap.api.err)
				}
			}
			b.ReportMetric(float64((cpuTime(b)-before).Microseconds())/1000/float64(b.N), "cpu-ms/tick")
		})
	}
}

// manyIntegrations returns an integrations list of n copies of the seed's centralized
// integration INT-16 (connectors AP-29, PB-30), each with its own keys.
func manyIntegrations(tb testing.TB, n int) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "api", "integrations.json"))
	require.NoError(tb, err)
	var seed []json.RawMessage
	require.NoError(tb, json.Unmarshal(data, &seed))
	template := string(seed[0])
	require.Contains(tb, template, `"INT-16"`)
	list := make([]json.RawMessage, n)
	for i := range n {
		list[i] = json.RawMessage(strings.NewReplacer(
			`"INT-16"`, fmt.Sprintf(`"INT-%d"`, 1000+i),
			`"AP-29"`, fmt.Sprintf(`"AP-%d"`, 1000+i),
			`"PB-30"`, fmt.Sprintf(`"PB-%d"`, 1000+i),
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
