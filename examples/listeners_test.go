// Package examples holds the collector configurations users start from; its test checks a
// promise they all keep.
package examples

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// envDefault matches ${env:NAME:-default} and ${env:NAME}.
var envDefault = regexp.MustCompile(`\$\{env:[A-Za-z0-9_]+(?::-([^}]*))?\}`)

// TestListenersBindToLocalhost checks that every listener of the collector itself in the
// examples (receivers, health_check, zpages, the Prometheus exporter, the collector's own
// metrics) binds to the loopback interface unless an environment variable says otherwise.
func TestListenersBindToLocalhost(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			var cfg map[string]any
			require.NoError(t, yaml.Unmarshal(raw, &cfg))

			var listeners []string
			for _, section := range []string{"receivers", "extensions", "exporters"} {
				components, _ := cfg[section].(map[string]any)
				for name, c := range components {
					kind, _, _ := strings.Cut(name, "/")
					isListener := section == "receivers" && kind != "backbone" && kind != "file_log" ||
						section == "extensions" && (kind == "health_check" || kind == "zpages") ||
						section == "exporters" && kind == "prometheus"
					if isListener {
						listeners = append(listeners, endpoints(c)...)
					}
				}
			}
			for _, host := range telemetryHosts(cfg) {
				listeners = append(listeners, net.JoinHostPort(host, "0"))
			}
			for _, endpoint := range listeners {
				resolved := envDefault.ReplaceAllString(endpoint, "$1")
				host, _, err := net.SplitHostPort(resolved)
				if assert.NoError(t, err, "endpoint %q", endpoint) {
					assert.Contains(t, []string{"127.0.0.1", "localhost", "::1"}, host, "endpoint %q", endpoint)
				}
			}
			if strings.Contains(string(raw), "health_check:") {
				assert.NotEmpty(t, listeners, "the health check's endpoint is set explicitly")
			}
		})
	}
}

// endpoints returns every "endpoint" value found in a component's configuration.
func endpoints(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if s, ok := child.(string); ok && k == "endpoint" {
				out = append(out, s)
				continue
			}
			out = append(out, endpoints(child)...)
		}
	case []any:
		for _, child := range v {
			out = append(out, endpoints(child)...)
		}
	}
	return out
}

// telemetryHosts returns the hosts of the collector's own Prometheus metrics readers.
func telemetryHosts(cfg map[string]any) []string {
	service, _ := cfg["service"].(map[string]any)
	telemetry, _ := service["telemetry"].(map[string]any)
	metrics, _ := telemetry["metrics"].(map[string]any)
	readers, _ := metrics["readers"].([]any)
	var hosts []string
	for _, r := range readers {
		reader, _ := r.(map[string]any)
		pull, _ := reader["pull"].(map[string]any)
		exporter, _ := pull["exporter"].(map[string]any)
		prom, _ := exporter["prometheus"].(map[string]any)
		if host, ok := prom["host"].(string); ok {
			hosts = append(hosts, envDefault.ReplaceAllString(host, "$1"))
		}
	}
	return hosts
}
