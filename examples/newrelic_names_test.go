package examples

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// New Relic stores OTLP metrics as Metric events and OTLP logs as Log events, keeping the
// metric and attribute names as they are (docs: "OpenTelemetry metrics in New Relic", "OTLP
// attribute types"); resource attributes land on every data point, the log body in `message`.
var (
	nrqlString     = regexp.MustCompile(`'(?:[^'\\]|\\.)*'`)
	nrqlDotted     = regexp.MustCompile(`\b[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+\b`)
	nrqlFrom       = regexp.MustCompile(`\bFROM\s+(Metric|Log)\b`)
	nrqlSelectList = regexp.MustCompile(`\bSELECT\s+(.*?)\s+(?:WHERE|FACET|SINCE|LIMIT|TIMESERIES)\b|\bSELECT\s+(.*)$`)
	nrqlFunction   = regexp.MustCompile(`^[a-zA-Z]+\((.*)\)$`)
)

// nrNames are the names a NRQL query may use: per event type, and which of them are metrics.
type nrNames struct {
	known   map[string]map[string]bool
	metrics map[string]bool
}

func deriveNRNames(c catalogue) nrNames {
	n := nrNames{known: map[string]map[string]bool{"Metric": c.metricAttributes(), "Log": c.eventAttributes()}, metrics: map[string]bool{}}
	for name := range c.Metrics {
		n.metrics[name] = true
		n.known["Metric"][name] = true
	}
	n.known["Log"]["service.name"] = true // set by every example's resource/events processor
	n.known["Log"]["message"] = true
	return n
}

// checkNRQL reports every name of a query that its event type does not hold, and every
// aggregation of Metric over something that is not a metric.
func (n nrNames) checkNRQL(t *testing.T, where, q string) {
	t.Helper()
	from := nrqlFrom.FindStringSubmatch(q)
	if !assert.NotNil(t, from, "%s: query reads neither Metric nor Log: %s", where, q) {
		return
	}
	known := n.known[from[1]]
	bare := nrqlString.ReplaceAllString(q, "''")
	for _, name := range nrqlDotted.FindAllString(bare, -1) {
		assert.True(t, known[name], "%s: %s has no %s", where, from[1], name)
	}
	m := nrqlSelectList.FindStringSubmatch(bare)
	if !assert.NotNil(t, m, "%s: no SELECT list in %s", where, q) {
		return
	}
	list := m[1] + m[2]
	for _, expr := range strings.Split(list, "+") {
		expr = strings.TrimSpace(expr)
		f := nrqlFunction.FindStringSubmatch(expr)
		switch {
		case f == nil && from[1] == "Log":
			for _, col := range splitComma(expr) {
				assert.True(t, known[col], "%s: Log has no %s", where, col)
			}
		case f != nil && from[1] == "Metric":
			assert.True(t, n.metrics[f[1]] || f[1] == "*", "%s: %s aggregates %s, which is not a metric", where, expr, f[1])
		}
	}
}

// TestNewRelicDashboardUsesExistingNames checks every NRQL query of the dashboard.
func TestNewRelicDashboardUsesExistingNames(t *testing.T) {
	n := deriveNRNames(loadCatalogue(t))
	var d struct {
		Pages []struct {
			Widgets []struct {
				Title            string `json:"title"`
				RawConfiguration struct {
					NRQLQueries []struct {
						Query string `json:"query"`
					} `json:"nrqlQueries"`
				} `json:"rawConfiguration"`
			} `json:"widgets"`
		} `json:"pages"`
	}
	require.NoError(t, json.Unmarshal(readPack(t, "newrelic/dashboard.json"), &d))
	queries := 0
	for _, p := range d.Pages {
		for _, w := range p.Widgets {
			for _, q := range w.RawConfiguration.NRQLQueries {
				queries++
				n.checkNRQL(t, w.Title, q.Query)
			}
		}
	}
	assert.GreaterOrEqual(t, queries, 12)
}

// TestNewRelicConditionsUseExistingNames checks every NRQL alert condition and its runbook link.
func TestNewRelicConditionsUseExistingNames(t *testing.T) {
	n := deriveNRNames(loadCatalogue(t))
	var conditions []struct {
		Name       string `json:"name"`
		RunbookURL string `json:"runbookUrl"`
		NRQL       struct {
			Query string `json:"query"`
		} `json:"nrql"`
	}
	require.NoError(t, json.Unmarshal(readPack(t, "newrelic/alert-conditions.json"), &conditions))
	require.GreaterOrEqual(t, len(conditions), 16)
	for _, c := range conditions {
		assert.Contains(t, c.RunbookURL, "docs/runbook.md#"+strings.ToLower(c.Name), c.Name)
		n.checkNRQL(t, c.Name, c.NRQL.Query)
	}
}
