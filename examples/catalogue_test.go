package examples

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// metadataPath is the receiver's metadata.yaml, the one source of every metric, event and
// attribute name the backend packs may use.
var metadataPath = filepath.Join("..", "receiver", "backbonereceiver", "metadata.yaml")

// metricDef is one metric of metadata.yaml.
type metricDef struct {
	Unit  string    `yaml:"unit"`
	Gauge *struct{} `yaml:"gauge"`
	Sum   *struct {
		Monotonic bool `yaml:"monotonic"`
	} `yaml:"sum"`
	Attributes []string `yaml:"attributes"`
}

// catalogue is what the receiver emits, in OpenTelemetry names.
type catalogue struct {
	Metrics            map[string]metricDef `yaml:"metrics"`
	ResourceAttributes map[string]any       `yaml:"resource_attributes"`
	Events             map[string]struct {
		Attributes []string `yaml:"attributes"`
	} `yaml:"events"`
}

func loadCatalogue(t *testing.T) catalogue {
	t.Helper()
	raw, err := os.ReadFile(metadataPath)
	require.NoError(t, err)
	var c catalogue
	require.NoError(t, yaml.Unmarshal(raw, &c))
	require.NotEmpty(t, c.Metrics)
	require.NotEmpty(t, c.Events)
	return c
}

// metricAttributes returns the attribute names of every metric, resource attributes included.
func (c catalogue) metricAttributes() map[string]bool {
	out := map[string]bool{}
	for k := range c.ResourceAttributes {
		out[k] = true
	}
	for _, m := range c.Metrics {
		for _, a := range m.Attributes {
			out[a] = true
		}
	}
	return out
}

// eventAttributes returns the attribute names of every event record, resource attributes
// included, and event.name, which the receiver adds to every record for backends that drop
// the record's EventName.
func (c catalogue) eventAttributes() map[string]bool {
	out := map[string]bool{"event.name": true}
	for k := range c.ResourceAttributes {
		out[k] = true
	}
	for _, e := range c.Events {
		for _, a := range e.Attributes {
			out[a] = true
		}
	}
	return out
}

// set builds a lookup from names.
func set(names ...string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

// keys lists a set's names in order, for messages.
func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// readPack reads a pack file relative to this package.
func readPack(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.FromSlash(path))
	require.NoError(t, err)
	return raw
}

// splitComma splits a comma-separated list, dropping blanks.
func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
