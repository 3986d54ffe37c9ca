package examples

import (
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/otlptranslator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// joinedResourceAttributes returns the resource attributes whose labels the alert rules and
// the dashboard's PromQL queries and variables use, sorted.
func joinedResourceAttributes(t *testing.T) []string {
	t.Helper()
	c := loadCatalogue(t)
	labeler := otlptranslator.LabelNamer{PreserveMultipleUnderscores: true}
	byLabel := map[string]string{}
	for a := range c.ResourceAttributes {
		byLabel[must(labeler.Build(a))] = a
	}

	used := map[string]bool{}
	note := func(expr string) {
		for _, l := range parsePromQL(expr, "backbone_").labels {
			if a, ok := byLabel[l]; ok {
				used[a] = true
			}
		}
	}
	for _, r := range loadPromRules(t) {
		note(r.Expr)
	}
	var d grafanaDashboard
	require.NoError(t, json.Unmarshal(readPack(t, "grafana/backbone-dashboard.json"), &d))
	var walk func(ps []grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			for _, q := range p.Targets {
				if src := q.Datasource; (src == nil && p.Datasource != nil && p.Datasource.Type == "prometheus") || (src != nil && src.Type == "prometheus") {
					note(q.Expr)
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		var q struct {
			Query string `json:"query"`
		}
		if json.Unmarshal(v.Query, &q) == nil {
			note(q.Query)
		}
	}
	out := keys(used)
	sort.Strings(out)
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestPrometheusResourceLabelsAreTheJoinedOnes checks that the scrape example's
// resource_constant_labels (both exporters) and the OTLP example's promote_resource_attributes
// list exactly the resource attributes the rules and the dashboard read: one missing makes the
// series of different integrations collide, one more starts new series when it changes.
func TestPrometheusResourceLabelsAreTheJoinedOnes(t *testing.T) {
	want := joinedResourceAttributes(t)
	require.Contains(t, want, "backbone.integration.idle")

	var scrape struct {
		Exporters map[string]struct {
			Labels struct {
				Included []string `yaml:"included"`
			} `yaml:"resource_constant_labels"`
		} `yaml:"exporters"`
	}
	require.NoError(t, yaml.Unmarshal(readPack(t, "prometheus.yaml"), &scrape))
	for _, name := range []string{"prometheus", "prometheus_remote_write"} {
		got := append([]string(nil), scrape.Exporters[name].Labels.Included...)
		sort.Strings(got)
		assert.Equal(t, want, got, "prometheus.yaml: %s resource_constant_labels.included", name)
	}

	var otlp struct {
		OTLP struct {
			Promote []string `yaml:"promote_resource_attributes"`
		} `yaml:"otlp"`
	}
	require.NoError(t, yaml.Unmarshal(readPack(t, "prometheus/prometheus-otlp.yml"), &otlp))
	got := append([]string(nil), otlp.OTLP.Promote...)
	sort.Strings(got)
	assert.Equal(t, want, got, "prometheus/prometheus-otlp.yml: otlp.promote_resource_attributes")
}

// TestPrometheusMetricExpirationFollowsInterval expands the Prometheus exporter's
// metric_expiration as the collector does (${env:...} substituted, the result parsed as a Go
// duration) and checks that it stays three collection intervals whatever the interval.
func TestPrometheusMetricExpirationFollowsInterval(t *testing.T) {
	var cfg struct {
		Receivers struct {
			Backbone struct {
				Interval string `yaml:"collection_interval"`
			} `yaml:"backbone"`
		} `yaml:"receivers"`
		Exporters struct {
			Prometheus struct {
				Expiration string `yaml:"metric_expiration"`
			} `yaml:"prometheus"`
		} `yaml:"exporters"`
	}
	require.NoError(t, yaml.Unmarshal(readPack(t, "prometheus.yaml"), &cfg))
	for _, interval := range []string{"", "30s", "2m", "5m", "1m30s"} {
		expand := func(s string) string {
			return envDefault.ReplaceAllStringFunc(s, func(m string) string {
				require.Contains(t, m, "${env:BACKBONE_COLLECTION_INTERVAL", "only the interval's variable")
				if interval != "" {
					return interval
				}
				return envDefault.FindStringSubmatch(m)[1]
			})
		}
		every, err := time.ParseDuration(expand(cfg.Receivers.Backbone.Interval))
		require.NoError(t, err)
		expiry, err := time.ParseDuration(expand(cfg.Exporters.Prometheus.Expiration))
		require.NoError(t, err, "metric_expiration with BACKBONE_COLLECTION_INTERVAL=%q", interval)
		assert.Equal(t, 3*every, expiry, "metric_expiration with BACKBONE_COLLECTION_INTERVAL=%q", interval)
	}
}
