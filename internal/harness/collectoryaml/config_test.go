package collectoryaml

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestConfigYAML(t *testing.T) {
	tests := []struct {
		desc string
		c    Config
		want string // the same configuration, written by hand
	}{
		{
			desc: "defaults",
			c:    Config{Receiver: Receiver{Directory: "/tree", Interval: time.Second}, Exporter: Exporter{Endpoint: "http://127.0.0.1:1"}},
			want: `
receivers: {backbone: {directory: /tree, collection_interval: 1s, initial_delay: 0s, stuck_after: 0s}}
exporters: {otlp_http: {endpoint: "http://127.0.0.1:1"}}
service:
  pipelines:
    metrics: {receivers: [backbone], exporters: [otlp_http]}
    logs: {receivers: [backbone], exporters: [otlp_http]}
  telemetry: {metrics: {level: none}}
`,
		},
		{
			desc: "persistent queue, retries for ever, processors on the logs",
			c: Config{
				Receiver: Receiver{Directory: "/tree", Interval: time.Second, Extra: "    storage: file_storage\n"},
				Exporter: Exporter{
					Endpoint: "http://127.0.0.1:1", Compression: "none", Timeout: 5 * time.Second,
					Queue: &Queue{Persistent: true, Consumers: 1},
					Retry: &Retry{Initial: 200 * time.Millisecond, Max: time.Second},
				},
				Storage:        "/storage dir",
				Processors:     "  batch:\n",
				LogsProcessors: []string{"batch"},
				Telemetry:      "\n  telemetry:\n    metrics:\n      level: basic",
			},
			want: `
receivers: {backbone: {directory: /tree, collection_interval: 1s, initial_delay: 0s, stuck_after: 0s, storage: file_storage}}
extensions: {file_storage: {directory: /storage dir}}
processors: {batch: null}
exporters:
  otlp_http:
    endpoint: "http://127.0.0.1:1"
    compression: none
    timeout: 5s
    sending_queue: {storage: file_storage, num_consumers: 1}
    retry_on_failure: {initial_interval: 200ms, max_interval: 1s, max_elapsed_time: 0s}
service:
  extensions: [file_storage]
  pipelines:
    metrics: {receivers: [backbone], exporters: [otlp_http]}
    logs: {receivers: [backbone], processors: [batch], exporters: [otlp_http]}
  telemetry: {metrics: {level: basic}}
`,
		},
		{
			desc: "to files",
			c: Config{
				Receiver: Receiver{Directory: "/tree", Interval: time.Second},
				Files:    &Files{Metrics: "/out/metrics.json", Logs: "/out/logs.json"},
			},
			want: `
receivers: {backbone: {directory: /tree, collection_interval: 1s, initial_delay: 0s, stuck_after: 0s}}
exporters:
  file/metrics: {path: /out/metrics.json, rotation: {max_megabytes: 100}}
  file/logs: {path: /out/logs.json, rotation: {max_megabytes: 100}}
service:
  pipelines:
    metrics: {receivers: [backbone], exporters: [file/metrics]}
    logs: {receivers: [backbone], exporters: [file/logs]}
  telemetry: {metrics: {level: none}}
`,
		},
		{
			desc: "metrics only, queue and retries off",
			c: Config{
				Receiver:    Receiver{Directory: "/tree", Interval: time.Second},
				Exporter:    Exporter{Endpoint: "http://127.0.0.1:1", Queue: &Queue{Disabled: true}, Retry: &Retry{Disabled: true}},
				MetricsOnly: true,
			},
			want: `
receivers: {backbone: {directory: /tree, collection_interval: 1s, initial_delay: 0s, stuck_after: 0s}}
exporters:
  otlp_http: {endpoint: "http://127.0.0.1:1", sending_queue: {enabled: false}, retry_on_failure: {enabled: false}}
service:
  pipelines:
    metrics: {receivers: [backbone], exporters: [otlp_http]}
  telemetry: {metrics: {level: none}}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var got, want map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(tt.c.YAML()), &got), tt.c.YAML())
			require.NoError(t, yaml.Unmarshal([]byte(tt.want), &want))
			assert.Equal(t, want, got)
		})
	}
}
