// Package e2e runs the otelcol-backbone binary against the Backbone simulator and reads what
// it exports. The tests need the built collector: `make e2e` builds it and sets
// BACKBONE_E2E_COLLECTOR to its path; without that variable they skip.
package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// writeConfig writes the collector's configuration into a temporary folder and returns its path.
func writeConfig(t *testing.T, cfg collectorConfig) string {
	t.Helper()
	// archive_interval 0: the tests check the archive's count after each change.
	extra := "    auth_backoff:\n      initial_interval: 2s\n      max_interval: 4s\n    archive_interval: 0s\n"
	if cfg.StartAt != "" {
		extra += "    start_at: " + cfg.StartAt + "\n"
	}
	if cfg.StorageDir != "" {
		extra += "    storage: file_storage\n"
	}
	yaml := collectoryaml.Config{
		Receiver: collectoryaml.Receiver{
			Endpoint: cfg.Endpoint, Username: cfg.Username, Password: cfg.Password,
			Directory: cfg.Directory, Interval: interval, Extra: extra,
		},
		Files:   &collectoryaml.Files{Metrics: cfg.MetricsPath, Logs: cfg.LogsPath},
		Storage: cfg.StorageDir,
	}.YAML()
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	return path
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
