package examples

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// Datadog bills a custom metric per distinct combination of metric name and tag values
// (docs: "Custom Metrics"). Each metric of the receiver makes one series per combination of
// the values of its attributes; the connector's own attributes (key, project, base URL) and the
// resource attributes have one value per connector, so a connector costs, per metric, the
// product of the number of values of its other attributes.

// knownStates are the state values the receiver always reports, 1 for the current one and 0
// for the others (backboneapi's RouteStates and ProcessingStates); a state outside them adds a
// series while it is current.
var knownStates = map[string]int{"backbone.route.state": 2, "backbone.processing.state": 1}

// folderSeries lists, for the folder metrics whose description limits them, the folders they
// report with archive_details off (the default).
var folderSeries = map[string]int{
	"backbone.folder.issues":             2, // error and issue_missing only
	"backbone.folder.oldest_message.age": 9, // not archive
	"backbone.folder.size":               9, // not archive
}

// seriesPerConnector counts the series of one connector, from metadata.yaml.
func seriesPerConnector(t *testing.T) (total int, perMetric map[string]int) {
	t.Helper()
	raw, err := os.ReadFile(metadataPath)
	require.NoError(t, err)
	var md struct {
		Attributes map[string]struct {
			Enum             []string `yaml:"enum"`
			RequirementLevel string   `yaml:"requirement_level"`
		} `yaml:"attributes"`
		Metrics map[string]struct {
			Enabled    bool     `yaml:"enabled"`
			Attributes []string `yaml:"attributes"`
		} `yaml:"metrics"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &md))
	perMetric = map[string]int{}
	for name, m := range md.Metrics {
		if !m.Enabled || !slices.Contains(m.Attributes, attrConnector) {
			continue
		}
		n := 1
		for _, a := range m.Attributes {
			def, ok := md.Attributes[a]
			require.True(t, ok, "attribute %s of %s", a, name)
			switch {
			case def.RequirementLevel == "opt_in":
			case a == "backbone.folder" && folderSeries[name] > 0:
				n *= folderSeries[name]
			case len(def.Enum) > 0:
				n *= len(def.Enum)
			case knownStates[a] > 0:
				n *= knownStates[a]
			}
		}
		perMetric[name] = n
		total += n
	}
	return total, perMetric
}

// TestDatadogCostPerConnector checks the figure docs/backend-names.md gives.
func TestDatadogCostPerConnector(t *testing.T) {
	total, perMetric := seriesPerConnector(t)
	assert.Equal(t, 6, perMetric["backbone.connector.route.status"], "3 routes x 2 states")
	assert.Equal(t, 10, perMetric["backbone.folder.messages"], "every folder")
	raw, err := os.ReadFile(filepath.Join("..", "docs", "backend-names.md"))
	require.NoError(t, err)
	m := regexp.MustCompile(`one connector costs \*\*(\d+) custom metrics\*\*`).FindSubmatch(raw)
	require.NotNil(t, m, "docs/backend-names.md does not state the cost of a connector")
	stated, _ := strconv.Atoi(string(m[1]))
	assert.Equal(t, total, stated, "per metric: %v", perMetric)
}
