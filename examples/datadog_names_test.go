package examples

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Datadog keeps OTLP metric and attribute names (docs: "OTLP Metrics Types" and "Getting
// Started with Tags"): a metric name may hold ASCII letters, digits, underscores and periods
// and starts with a letter; a tag key is lower case and may hold letters, digits, underscores,
// minuses, colons, periods and slashes, anything else becoming an underscore. Resource
// attributes are tags only with resource_attributes_as_tags, which both Datadog examples set.
// Log attributes keep their names (@name); service.name becomes the reserved `service`.
var (
	ddMetricQuery = regexp.MustCompile(`\b(?:avg|min|max|sum|count):([A-Za-z][A-Za-z0-9_.]*)\{([^}]*)\}(?:\s*by\s*\{([^}]*)\})?`)
	ddLogFacet    = regexp.MustCompile(`@([A-Za-z][A-Za-z0-9_.]*)`)
	ddMessageVar  = regexp.MustCompile(`\{\{\s*([a-z][a-z0-9_.]*)\.name\s*\}\}`)
	ddMetricName  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]*$`)
	ddTagInvalid  = regexp.MustCompile(`[^a-z0-9_\-:./]`)
)

// ddTag is the tag key Datadog makes of an attribute name.
func ddTag(attr string) string { return ddTagInvalid.ReplaceAllString(strings.ToLower(attr), "_") }

// ddNames are the metric names and tag keys Datadog shows for the receiver's data.
type ddNames struct {
	metrics, tags, logAttrs map[string]bool
}

func deriveDDNames(t *testing.T, c catalogue) ddNames {
	t.Helper()
	n := ddNames{metrics: map[string]bool{}, tags: map[string]bool{}, logAttrs: map[string]bool{}}
	for name := range c.Metrics {
		require.Regexp(t, ddMetricName, name, "Datadog would rename metric %s", name)
		n.metrics[name] = true
	}
	for a := range c.metricAttributes() {
		n.tags[ddTag(a)] = true
	}
	for a := range c.eventAttributes() {
		n.logAttrs[a] = true
	}
	return n
}

// checkMetricQuery reports metrics and tags of a Datadog metric query that do not exist.
func (n ddNames) checkMetricQuery(t *testing.T, where, q string, vars map[string]string) int {
	t.Helper()
	found := 0
	for _, m := range ddMetricQuery.FindAllStringSubmatch(q, -1) {
		found++
		assert.True(t, n.metrics[m[1]], "%s: metric %s does not exist", where, m[1])
		for _, f := range splitComma(m[2]) {
			f = strings.TrimPrefix(f, "!")
			switch {
			case f == "*":
			case strings.HasPrefix(f, "$"):
				tag, ok := vars[f[1:]]
				assert.True(t, ok, "%s: template variable %s is not defined", where, f)
				assert.True(t, n.tags[tag], "%s: template variable %s filters on tag %s, which does not exist", where, f, tag)
			default:
				key, _, _ := strings.Cut(f, ":")
				assert.True(t, n.tags[key], "%s: tag %s does not exist", where, key)
			}
		}
		for _, by := range splitComma(m[3]) {
			assert.True(t, n.tags[by], "%s: group-by tag %s does not exist", where, by)
		}
	}
	return found
}

// checkLogQuery reports log attributes of a Datadog log query that no event record carries.
func (n ddNames) checkLogQuery(t *testing.T, where, q string) {
	t.Helper()
	assert.Contains(t, q, "service:otelcol-backbone", "%s: log query not restricted to the events' service", where)
	for _, m := range ddLogFacet.FindAllStringSubmatch(q, -1) {
		assert.True(t, n.logAttrs[m[1]], "%s: log attribute @%s does not exist", where, m[1])
	}
}

// TestDatadogDashboardUsesExistingNames checks every query and template variable.
func TestDatadogDashboardUsesExistingNames(t *testing.T) {
	n := deriveDDNames(t, loadCatalogue(t))
	var d struct {
		TemplateVariables []struct {
			Name   string `json:"name"`
			Prefix string `json:"prefix"`
		} `json:"template_variables"`
		Widgets []struct {
			Definition struct {
				Title    string   `json:"title"`
				Query    string   `json:"query"`
				Columns  []string `json:"columns"`
				Requests []struct {
					Q string `json:"q"`
				} `json:"requests"`
			} `json:"definition"`
		} `json:"widgets"`
	}
	require.NoError(t, json.Unmarshal(readPack(t, "datadog/dashboard.json"), &d))
	vars := map[string]string{}
	for _, v := range d.TemplateVariables {
		assert.True(t, n.tags[v.Prefix], "template variable %s: tag %s does not exist", v.Name, v.Prefix)
		vars[v.Name] = v.Prefix
	}
	queries := 0
	for _, w := range d.Widgets {
		for _, r := range w.Definition.Requests {
			queries += n.checkMetricQuery(t, w.Definition.Title, r.Q, vars)
		}
		if w.Definition.Query != "" {
			n.checkLogQuery(t, w.Definition.Title, strings.ReplaceAll(w.Definition.Query, "$backbone.integration.key", ""))
			for _, c := range w.Definition.Columns {
				n.checkLogQuery(t, w.Definition.Title, "service:otelcol-backbone "+c)
			}
		}
	}
	assert.GreaterOrEqual(t, queries, 20)
}

// TestDatadogMonitorsUseExistingNames checks every monitor's query and message variables,
// and that each links its runbook section.
func TestDatadogMonitorsUseExistingNames(t *testing.T) {
	n := deriveDDNames(t, loadCatalogue(t))
	var monitors []struct {
		Name, Type, Query, Message string
	}
	require.NoError(t, json.Unmarshal(readPack(t, "datadog/monitors.json"), &monitors))
	require.GreaterOrEqual(t, len(monitors), 16)
	for _, m := range monitors {
		assert.Contains(t, m.Message, "docs/runbook.md#"+strings.ToLower(m.Name), m.Name)
		switch m.Type {
		case "log alert":
			n.checkLogQuery(t, m.Name, m.Query)
		default:
			assert.Positive(t, n.checkMetricQuery(t, m.Name, m.Query, nil), "%s: no metric query found in %q", m.Name, m.Query)
		}
		for _, v := range ddMessageVar.FindAllStringSubmatch(m.Message, -1) {
			assert.Contains(t, m.Query, v[1], "%s: message uses {{%s.name}}, which the query does not group by", m.Name, v[1])
		}
	}
}
