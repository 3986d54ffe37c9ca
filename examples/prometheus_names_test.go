package examples

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/otlptranslator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// promNames are the metric and label names Prometheus shows for the receiver's metrics,
// derived with the translator the collector's Prometheus exporters use at this release
// (github.com/prometheus/otlptranslator: suffixes on, UTF-8 off, their default).
type promNames struct {
	metrics, labels map[string]bool
}

// Names that do not come from the receiver: Prometheus' own, the rules' own labels, and the
// collector's telemetry (otelcol_*), which its own job scrapes.
var promExternalLabels = set("job", "instance", "alertname", "alertstate", "severity", "exporter", "otel_scope_name", "otel_scope_version")

func derivePromNames(t *testing.T, c catalogue) promNames {
	t.Helper()
	namer := otlptranslator.MetricNamer{WithMetricSuffixes: true}
	labeler := otlptranslator.LabelNamer{PreserveMultipleUnderscores: true}
	n := promNames{metrics: map[string]bool{}, labels: map[string]bool{}}
	for name, m := range c.Metrics {
		typ := otlptranslator.MetricType(otlptranslator.MetricTypeGauge)
		if m.Sum != nil {
			typ = otlptranslator.MetricTypeNonMonotonicCounter
			if m.Sum.Monotonic {
				typ = otlptranslator.MetricTypeMonotonicCounter
			}
		}
		prom, err := namer.Build(otlptranslator.Metric{Name: name, Unit: m.Unit, Type: typ})
		require.NoError(t, err)
		n.metrics[prom] = true
		for _, a := range m.Attributes {
			l, err := labeler.Build(a)
			require.NoError(t, err)
			n.labels[l] = true
		}
	}
	// Resource attributes become labels only where the exporter lists them.
	for _, a := range promResourceLabels(t) {
		_, known := c.ResourceAttributes[a]
		require.True(t, known, "examples/prometheus.yaml lists %s in resource_constant_labels, which metadata.yaml does not define", a)
		l, err := labeler.Build(a)
		require.NoError(t, err)
		n.labels[l] = true
	}
	for l := range promExternalLabels {
		n.labels[l] = true
	}
	for _, r := range loadPromRules(t) {
		if r.Record != "" {
			n.metrics[r.Record] = true
		}
	}
	return n
}

// promRule is one alerting or recording rule of the Prometheus pack.
type promRule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadPromRules(t *testing.T) []promRule {
	t.Helper()
	var rules struct {
		Groups []struct {
			Rules []promRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(readPack(t, "prometheus/backbone-alerts.yaml"), &rules))
	var out []promRule
	for _, g := range rules.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

// promResourceLabels reads resource_constant_labels.included of the Prometheus example.
func promResourceLabels(t *testing.T) []string {
	var cfg struct {
		Exporters struct {
			Prometheus struct {
				Labels struct {
					Included []string `yaml:"included"`
				} `yaml:"resource_constant_labels"`
			} `yaml:"prometheus"`
		} `yaml:"exporters"`
	}
	require.NoError(t, yaml.Unmarshal(readPack(t, "prometheus.yaml"), &cfg))
	require.NotEmpty(t, cfg.Exporters.Prometheus.Labels.Included)
	return cfg.Exporters.Prometheus.Labels.Included
}

// TestPrometheusNamesFollowTranslation pins the names of the 0/1 metrics: no _ratio suffix.
func TestPrometheusNamesFollowTranslation(t *testing.T) {
	n := derivePromNames(t, loadCatalogue(t))
	for _, want := range []string{"backbone_api_up", "backbone_api_error", "backbone_connector_online", "backbone_connector_reconnecting",
		"backbone_integration_status", "backbone_folder_size_bytes", "backbone_folder_oldest_message_age_seconds", "backbone_folder_messages"} {
		assert.True(t, n.metrics[want], "%s is not a derived name; derived: %v", want, keys(n.metrics))
	}
}

// checkPromQL reports every metric or label of expr that Prometheus would not show.
func (n promNames) checkPromQL(t *testing.T, where, expr string) {
	t.Helper()
	refs := parsePromQL(expr, "backbone_")
	for _, m := range refs.metrics {
		assert.True(t, n.metrics[m], "%s: metric %s does not exist (known: %v)", where, m, keys(n.metrics))
	}
	for _, l := range refs.labels {
		assert.True(t, n.labels[l], "%s: label %s does not exist", where, l)
	}
}

// TestPrometheusRulesUseExistingNames checks every rule's expression and annotations.
func TestPrometheusRulesUseExistingNames(t *testing.T) {
	n := derivePromNames(t, loadCatalogue(t))
	alerts := 0
	for _, r := range loadPromRules(t) {
		name := r.Alert + r.Record
		n.checkPromQL(t, name, r.Expr)
		if r.Record != "" {
			assert.Regexp(t, `^backbone_[a-z_]+:[a-z_]+$`, r.Record, "recording rules are named level:metric")
			continue
		}
		alerts++
		assert.Contains(t, r.Annotations["runbook_url"], "docs/runbook.md#"+strings.ToLower(r.Alert), "%s: runbook_url", r.Alert)
		for k, text := range r.Annotations {
			for _, l := range templateLabels(alertLabel, text) {
				assert.True(t, n.labels[l], "%s: annotation %s: label %s does not exist", r.Alert, k, l)
			}
			for _, m := range labelMatcher.FindAllStringSubmatch(text, -1) {
				assert.True(t, n.labels[m[1]] || m[1] == "__name__", "%s: annotation %s: label %s does not exist", r.Alert, k, m[1])
			}
			// The queries the annotation runs (printf `...` | query).
			for _, q := range regexp.MustCompile("`([^`]*)`").FindAllStringSubmatch(text, -1) {
				n.checkPromQL(t, r.Alert+" annotation "+k, q[1])
			}
		}
	}
	assert.GreaterOrEqual(t, alerts, 17)
}

// grafanaDashboard holds the parts of the Grafana dashboard that name metrics and labels.
type grafanaDashboard struct {
	Annotations struct {
		List []grafanaQuery `json:"list"`
	} `json:"annotations"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []grafanaPanel `json:"panels"`
}

type grafanaPanel struct {
	Title      string         `json:"title"`
	Datasource *grafanaSource `json:"datasource"`
	Targets    []grafanaQuery `json:"targets"`
	Panels     []grafanaPanel `json:"panels"`
}

type grafanaSource struct {
	Type string `json:"type"`
}

type grafanaQuery struct {
	Name         string         `json:"name"`
	Expr         string         `json:"expr"`
	LegendFormat string         `json:"legendFormat"`
	TitleFormat  string         `json:"titleFormat"`
	TagKeys      string         `json:"tagKeys"`
	Datasource   *grafanaSource `json:"datasource"`
}

// TestGrafanaDashboardUsesExistingNames checks every PromQL query, variable and legend, and
// every LogQL query against the names Loki gives the event records (OTLP attributes with
// dots as underscores; service_name and severity_text from the record's resource and severity).
func TestGrafanaDashboardUsesExistingNames(t *testing.T) {
	c := loadCatalogue(t)
	n := derivePromNames(t, c)
	lokiLabels := set("service_name", "severity_text")
	labeler := otlptranslator.LabelNamer{PreserveMultipleUnderscores: true}
	for a := range c.eventAttributes() {
		l, err := labeler.Build(a)
		require.NoError(t, err)
		lokiLabels[l] = true
	}
	var d grafanaDashboard
	require.NoError(t, json.Unmarshal(readPack(t, "grafana/backbone-dashboard.json"), &d))
	checkLoki := func(where, expr string, texts ...string) {
		refs := parsePromQL(expr, "backbone_")
		assert.Empty(t, refs.metrics, "%s: a Loki query names metrics", where)
		for _, l := range refs.labels {
			assert.True(t, lokiLabels[l], "%s: Loki label %s does not exist", where, l)
		}
		for _, text := range texts {
			for _, l := range templateLabels(legendLabel, text) {
				assert.True(t, lokiLabels[l], "%s: Loki label %s does not exist", where, l)
			}
		}
	}
	queries := 0
	var walk func(ps []grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			for _, q := range p.Targets {
				src := q.Datasource
				if src == nil {
					src = p.Datasource
				}
				where := p.Title
				if src != nil && src.Type == "loki" {
					checkLoki(where, q.Expr, q.LegendFormat)
					continue
				}
				queries++
				n.checkPromQL(t, where, q.Expr)
				for _, l := range templateLabels(legendLabel, q.LegendFormat) {
					assert.True(t, n.labels[l], "%s: legend label %s does not exist", where, l)
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	assert.GreaterOrEqual(t, queries, 20)
	for _, a := range d.Annotations.List {
		if a.Datasource != nil && a.Datasource.Type == "loki" {
			checkLoki("annotation "+a.Name, a.Expr, a.TitleFormat)
			for _, k := range splitComma(a.TagKeys) {
				assert.True(t, lokiLabels[k], "annotation %s: tag key %s does not exist", a.Name, k)
			}
		}
	}
	for _, v := range d.Templating.List {
		var q struct {
			Query string `json:"query"`
		}
		if json.Unmarshal(v.Query, &q) == nil && q.Query != "" {
			n.checkPromQL(t, "variable "+v.Name, q.Query)
		}
	}
}
