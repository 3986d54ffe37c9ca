package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
)

// examplesDir holds the example configurations, relative to this package.
const examplesDir = "../examples"

// exampleCase is one run of `validate` on an example configuration.
type exampleCase struct {
	desc    string
	file    string
	env     map[string]string // added to the common variables; "" removes one
	wantErr string            // part of the error output; empty when validation must pass
}

// TestE2EExamplesValidate runs `otelcol-backbone validate` on every example configuration
// with the environment examples/README.md describes, and checks that validation does fail
// when the receiver has nothing to watch.
func TestE2EExamplesValidate(t *testing.T) {
	bin := e2eproc.CollectorBinary(t)
	t.Parallel()

	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no example configurations in %s", examplesDir)

	tmp := t.TempDir()
	// Harmless values for every variable the examples read; the tests below add or drop some.
	common := map[string]string{
		"JIRA_URL":              "https://jira.example.com",
		"JIRA_USERNAME":         "monitor",
		"JIRA_PASSWORD":         "not-a-real-password",
		"BACKBONE_DIRECTORY":    filepath.Join(tmp, "backbone-issue-sync"),
		"OTELCOL_STORAGE_DIR":   filepath.Join(tmp, "storage"),
		"BACKBONE_STATE_DIR":    filepath.Join(tmp, "state"),
		"JIRA_HOME":             filepath.Join(tmp, "jira-home"),
		"DD_API_KEY":            "00000000000000000000000000000000",
		"DD_SITE":               "datadoghq.eu",
		"DD_ENV":                "e2e",
		"NEW_RELIC_LICENSE_KEY": "0000000000000000000000000000000000000000",
	}

	tests := []exampleCase{
		{desc: "OTLP/HTTP", file: "otlp.yaml"},
		{desc: "OTLP/gRPC with headers", file: "otlp.yaml", env: map[string]string{
			"OTLP_EXPORTER": "otlp_grpc", "OTLP_GRPC_ENDPOINT": "collector.example.com:4317",
			"OTLP_GRPC_INSECURE": "true", "OTLP_HEADERS": `{"Authorization": "Bearer abc", "X-Scope-OrgID": "jira"}`,
		}},
		{desc: "OTLP with a personal access token", file: "otlp.yaml", env: map[string]string{
			"JIRA_USERNAME": "", "JIRA_PASSWORD": "", "JIRA_TOKEN": "not-a-real-token",
		}},
		{desc: "OTLP with the folder tree only", file: "otlp.yaml", env: map[string]string{
			"JIRA_URL": "", "JIRA_USERNAME": "", "JIRA_PASSWORD": "",
		}},
		{desc: "OTLP with the API only", file: "otlp.yaml", env: map[string]string{"BACKBONE_DIRECTORY": ""}},
		{desc: "OTLP with nothing to watch", file: "otlp.yaml", env: map[string]string{
			"JIRA_URL": "", "JIRA_USERNAME": "", "JIRA_PASSWORD": "", "BACKBONE_DIRECTORY": "",
		}, wantErr: `"endpoint" (Jira's base URL) or "directory"`},
		{desc: "New Relic", file: "newrelic.yaml"},
		{desc: "New Relic EU", file: "newrelic.yaml", env: map[string]string{"NEW_RELIC_OTLP_ENDPOINT": "https://otlp.eu01.nr-data.net"}},
		{desc: "Datadog Agent", file: "datadog-agent.yaml"},
		{desc: "Datadog intake", file: "datadog-intake.yaml"},
		{desc: "Prometheus with remote write", file: "prometheus.yaml", env: map[string]string{
			"PROMETHEUS_EXPORTERS":            "[prometheus, prometheus_remote_write]",
			"PROMETHEUS_REMOTE_WRITE_URL":     "https://prometheus.example.com/api/v1/write",
			"PROMETHEUS_REMOTE_WRITE_HEADERS": `{"X-Scope-OrgID": "jira"}`,
		}},
		{desc: "Prometheus with defaults", file: "prometheus.yaml"},
		{desc: "Prometheus with a two-minute interval", file: "prometheus.yaml", env: map[string]string{"BACKBONE_COLLECTION_INTERVAL": "2m"}},
		{desc: "Prometheus 3 over OTLP", file: "prometheus-otlp.yaml"},
		{desc: "Prometheus 3 over OTLP with a tenant", file: "prometheus-otlp.yaml", env: map[string]string{
			"PROMETHEUS_OTLP_ENDPOINT": "https://mimir.example.com/otlp", "PROMETHEUS_OTLP_HEADERS": `{"X-Scope-OrgID": "jira"}`,
		}},
		{desc: "Prometheus with an unknown exporter", file: "prometheus.yaml", env: map[string]string{
			"PROMETHEUS_EXPORTERS": "[prometheus, remote_write]",
		}, wantErr: "remote_write"},
		{desc: "demo", file: "demo.yaml"},
		{desc: "demo with a personal access token", file: "demo.yaml", env: map[string]string{
			"JIRA_USERNAME": "", "JIRA_PASSWORD": "", "JIRA_TOKEN": "not-a-real-token",
		}},
	}

	t.Run("Jira's log needs the full distribution", func(t *testing.T) {
		t.Parallel()
		env := []string{"HOME=" + tmp, "PATH=/usr/bin:/bin"}
		for k, v := range common {
			env = append(env, k+"="+v)
		}
		args := []string{"validate", "--config", filepath.Join(examplesDir, "otlp.yaml"), "--config", filepath.Join(examplesDir, "full", "jira-log.yaml")}
		cmd := exec.CommandContext(t.Context(), bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "the default distribution has no file_log receiver:\n%s", out)
		assert.Contains(t, string(out), "file_log")
		full := os.Getenv("BACKBONE_E2E_COLLECTOR_FULL")
		if full == "" {
			t.Skip("BACKBONE_E2E_COLLECTOR_FULL is not set (make build-full builds otelcol-backbone-full)")
		}
		cmd = exec.CommandContext(t.Context(), full, args...)
		cmd.Env = env
		out, err = cmd.CombinedOutput()
		require.NoError(t, err, "validate with the full distribution:\n%s", out)
	})

	t.Run("every example has a case", func(t *testing.T) {
		for _, f := range files {
			name := filepath.Base(f)
			assert.True(t, slices.ContainsFunc(tests, func(tt exampleCase) bool { return tt.file == name }),
				"%s has no case in this test: add one with the variables it needs", name)
		}
	})

	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(examplesDir, tt.file)
			// Only the variables given: nothing from the environment the tests run in.
			env := []string{"HOME=" + tmp, "PATH=/usr/bin:/bin"}
			for k, v := range common {
				if extra, ok := tt.env[k]; ok {
					v = extra
				}
				if v != "" {
					env = append(env, k+"="+v)
				}
			}
			for k, v := range tt.env {
				if _, ok := common[k]; !ok && v != "" {
					env = append(env, k+"="+v)
				}
			}
			cmd := exec.CommandContext(t.Context(), bin, "validate", "--config", path)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if tt.wantErr == "" {
				require.NoError(t, err, "validate %s with %s:\n%s", tt.file, strings.Join(env, " "), out)
				return
			}
			require.Error(t, err, "validate %s must fail:\n%s", tt.file, out)
			assert.Contains(t, string(out), tt.wantErr)
		})
	}
}
