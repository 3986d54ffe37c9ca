package selfmetrics

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const exposition = `# HELP otelcol_receiver_refused_log_records_total Number of log records refused.
# TYPE otelcol_receiver_refused_log_records_total counter
otelcol_receiver_refused_log_records_total{receiver="backbone",transport=""} 3
otelcol_receiver_refused_log_records_total{receiver="otlp",transport="http"} 5
otelcol_receiver_refused_log_records_total{receiver="backbone/2",transport=""} 4
otelcol_process_runtime_heap_alloc_bytes 1.5e+07
not_a_sample
broken_value{a="b"} x
`

func TestParse(t *testing.T) {
	all, err := Parse(strings.NewReader(exposition))
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{
		"otelcol_receiver_refused_log_records":     12,
		"otelcol_process_runtime_heap_alloc_bytes": 1.5e7,
	}, all)

	backbone, err := Parse(strings.NewReader(exposition), `receiver="backbone"`)
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"otelcol_receiver_refused_log_records": 3}, backbone)
}

func TestRead(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(status.Load()))
		fmt.Fprint(w, exposition)
	}))
	t.Cleanup(srv.Close)
	_, p, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	var port int
	_, err = fmt.Sscan(p, &port)
	require.NoError(t, err)

	m, err := Read(port)
	require.NoError(t, err)
	assert.Equal(t, 1.5e7, m["otelcol_process_runtime_heap_alloc_bytes"])

	status.Store(http.StatusInternalServerError)
	_, err = Read(port)
	assert.ErrorContains(t, err, "500")
}

func TestTelemetryYAML(t *testing.T) {
	var cfg struct {
		Service struct {
			Telemetry struct {
				Metrics struct {
					Level   string
					Readers []struct {
						Pull struct {
							Exporter struct {
								Prometheus struct {
									Host string
									Port int
								}
							}
						}
					}
				}
			}
		}
	}
	require.NoError(t, yaml.Unmarshal([]byte("service:"+TelemetryYAML(9999)), &cfg))
	m := cfg.Service.Telemetry.Metrics
	assert.Equal(t, "basic", m.Level)
	require.Len(t, m.Readers, 1)
	assert.Equal(t, "127.0.0.1", m.Readers[0].Pull.Exporter.Prometheus.Host)
	assert.Equal(t, 9999, m.Readers[0].Pull.Exporter.Prometheus.Port)
}
