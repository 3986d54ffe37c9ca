// Package e2e runs the otelcol-backbone binary against the Backbone simulator and reads what
// it exports. The tests need the built collector: `make e2e` builds it and sets
// BACKBONE_E2E_COLLECTOR to its path; without that variable they skip.
package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
)

// interval is the receiver's collection_interval in every test.
const interval = time.Second

// collector is one run of the collector binary.
type collector = e2eproc.Process

// startCollector runs the collector with a config file. The process is stopped when the test
// ends (SIGTERM, then SIGKILL after e2eproc.StopTimeout) and its log is printed if the test failed.
func startCollector(t *testing.T, configPath string, args ...string) *collector {
	t.Helper()
	return e2eproc.Start(t, t.Context(), "collector", e2eproc.CollectorBinary(t), append([]string{"--config", configPath}, args...)...)
}

// collectorConfig is what the tests vary in the collector's configuration.
type collectorConfig struct {
	Endpoint    string // Jira base URL; empty leaves the API out
	Username    string
	Password    string
	Directory   string // backbone-issue-sync folder
	StartAt     string // empty keeps the receiver's default
	StorageDir  string // file_storage directory; empty runs without storage
	MetricsPath string
	LogsPath    string
}

var configTemplate = template.Must(template.New("config").Funcs(template.FuncMap{"q": strconv.Quote}).Parse(`
receivers:{{.Receiver}}
# With rotation set, the file exporter writes every batch straight to the file (without it,
# it buffers and flushes once a second) and appends to a file left by an earlier run.
exporters:
  file/metrics:
    path: {{q .MetricsPath}}
    rotation:
      max_megabytes: 100
  file/logs:
    path: {{q .LogsPath}}
    rotation:
      max_megabytes: 100
{{if .StorageDir}}
extensions:
  file_storage:
    directory: {{q .StorageDir}}
{{end}}
service:
{{- if .StorageDir}}
  extensions: [file_storage]
{{- end}}
  pipelines:
    metrics:
      receivers: [backbone]
      exporters: [file/metrics]
    logs:
      receivers: [backbone]
      exporters: [file/logs]
  telemetry:
    logs:
      level: info
    metrics:
      level: none
`))

// writeConfig writes the collector's configuration into a temporary folder and returns its path.
func writeConfig(t *testing.T, cfg collectorConfig) string {
	t.Helper()
	var b strings.Builder
	extra := "    auth_backoff:\n      initial_interval: 2s\n      max_interval: 4s\n"
	if cfg.StartAt != "" {
		extra += "    start_at: " + cfg.StartAt + "\n"
	}
	if cfg.StorageDir != "" {
		extra += "    storage: file_storage\n"
	}
	data := struct {
		collectorConfig
		Receiver string
	}{cfg, collectoryaml.Receiver{
		Endpoint: cfg.Endpoint, Username: cfg.Username, Password: cfg.Password,
		Directory: cfg.Directory, Interval: interval, Extra: extra,
	}.YAML()}
	require.NoError(t, configTemplate.Execute(&b, data))
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

// countLines counts the lines of a log that contain every one of parts.
func countLines(log string, parts ...string) int {
	n := 0
	for line := range strings.Lines(log) {
		all := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				all = false
				break
			}
		}
		if all {
			n++
		}
	}
	return n
}

// describeLines returns the lines of a log that contain part, for failure messages.
func describeLines(log, part string) string {
	var b strings.Builder
	for line := range strings.Lines(log) {
		if strings.Contains(line, part) {
			b.WriteString(line)
		}
	}
	if b.Len() == 0 {
		return fmt.Sprintf("(no line contains %q)", part)
	}
	return b.String()
}
