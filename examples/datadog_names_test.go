package examples

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Datadog keeps OTLP metric and attribute names (docs: "OTLP Metrics Types" and "Getting
// Started with Tags"): a metric name may hold ASCII letters, digits, underscores and periods
// and starts with a letter; a tag key is lower case and may hold letters, digits, underscores,
// minuses, colons, periods and slashes, anything else becoming an underscore. Resource
// attributes are tags only with resource_attributes_as_tags, which both Datadog examples set.
// Datadog's OTLP log mapping makes every log record and resource attribute a log attribute
// (@name, matched by the log search syntax) and service.name the reserved `service`; it has no
// place for the record's EventName, hence the event.name attribute the receiver adds.
var (
	ddMetricTerm = regexp.MustCompile(`\b([a-z_]+):([A-Za-z][A-Za-z0-9_.]*)\{([^}]*)\}(?:\s*by\s*\{([^}]*)\})?`)
	ddLogFacet   = regexp.MustCompile(`@([A-Za-z][A-Za-z0-9_.]*)`)
	ddMetricName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]*$`)
	ddTagInvalid = regexp.MustCompile(`[^a-z0-9_\-:./]`)

	// The monitor query grammar of Datadog's API reference ("Create a monitor"): a metric
	// alert is time_aggr(time_window):expression operator threshold, or with change/pct_change
	// change_aggr(time_aggr(time_window),timeshift):expression operator threshold; a log alert
	// is logs(query).index(name).rollup(method).by(facets).last(window) operator threshold.
	ddMetricMonitor = regexp.MustCompile(`^(?:(?:avg|sum|min|max)\(last_\d+[mhdw]\)|(?:change|pct_change)\((?:avg|sum|min|max)\(last_\d+[mhdw]\),last_\d+[mhdw]\)):(.+?)\s*(<=|>=|<|>|==|!=)\s*(-?\d+(?:\.\d+)?)$`)
	ddLogMonitor    = regexp.MustCompile(`^logs\("((?:[^"\\]|\\.)*)"\)\.index\("[^"]*"\)\.rollup\("(?:count|cardinality|avg|sum|min|max)"\)(?:\.by\("([^"]*)"\))?\.last\("\d+[mhd]"\)\s*(<=|>=|<|>|==|!=)\s*(-?\d+(?:\.\d+)?)$`)
	// What may stand between the metric terms of an expression: numbers, arithmetic and the
	// functions the monitors and the dashboard use.
	ddExprRest = regexp.MustCompile(`^(?:[\s0-9.+\-*/(),]|clamp_max|clamp_min|abs|default_zero|count_nonzero)*$`)
	// {{...}} of a monitor message; the tag and facet forms must be bracketed (a key with a
	// period needs it, docs: "Variables", tag key with period).
	ddTemplate      = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
	ddTemplateTag   = regexp.MustCompile(`^\[(@?[a-z][a-z0-9_.]*)\]\.name$`)
	ddTemplateBlock = regexp.MustCompile(`^([#^/])(is_alert|is_warning|is_no_data|is_recovery|is_alert_recovery|is_no_data_recovery)$`)
	ddTemplatePlain = set("value", "threshold", "warn_threshold", "comparator", "last_triggered_at", "first_triggered_at")
	ddSpaceAggr     = set("avg", "sum", "min", "max")
)

// ddTag is the tag key Datadog makes of an attribute name.
func ddTag(attr string) string { return ddTagInvalid.ReplaceAllString(strings.ToLower(attr), "_") }

// ddNames are the metric names and tag keys Datadog shows for the receiver's data.
type ddNames struct {
	cat                     catalogue
	metrics, tags, logAttrs map[string]bool
}

func deriveDDNames(t *testing.T, c catalogue) ddNames {
	t.Helper()
	n := ddNames{cat: c, metrics: map[string]bool{}, tags: map[string]bool{}, logAttrs: map[string]bool{}}
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
	for a := range jiraLogAttributes {
		n.logAttrs[a] = true
	}
	return n
}

// ddTerm is one metric of a query: space aggregator, metric, filters and group-by.
type ddTerm struct {
	aggr, metric string
	filters, by  []string
}

// parseMetricExpr splits a metric expression into its terms and checks that nothing else than
// numbers, arithmetic and known functions stands between them.
func parseMetricExpr(t *testing.T, where, expr string) []ddTerm {
	t.Helper()
	var terms []ddTerm
	for _, m := range ddMetricTerm.FindAllStringSubmatch(expr, -1) {
		terms = append(terms, ddTerm{aggr: m[1], metric: m[2], filters: splitComma(m[3]), by: splitComma(m[4])})
		assert.True(t, ddSpaceAggr[m[1]], "%s: %q is not a space aggregator (avg, sum, min, max)", where, m[1])
	}
	rest := ddMetricTerm.ReplaceAllString(expr, "")
	assert.Regexp(t, ddExprRest, rest, "%s: unexpected text between the metric terms of %q", where, expr)
	return terms
}

// checkTerm reports metrics and tags of a term that do not exist; vars maps the dashboard's
// template variables to their tag.
func (n ddNames) checkTerm(t *testing.T, where string, term ddTerm, vars map[string]string) {
	t.Helper()
	assert.True(t, n.metrics[term.metric], "%s: metric %s does not exist", where, term.metric)
	for _, f := range term.filters {
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
	for _, by := range term.by {
		assert.True(t, n.tags[by], "%s: group-by tag %s does not exist", where, by)
	}
}

// checkLogQuery reports log attributes of a Datadog log search that no record carries, and
// attribute filters written as tags (without @), which match nothing in OTLP logs.
func (n ddNames) checkLogQuery(t *testing.T, where, q string) {
	t.Helper()
	assert.Regexp(t, `\bservice:(otelcol-backbone|jira)\b`, q, "%s: log query not restricted to a service", where)
	for _, m := range ddLogFacet.FindAllStringSubmatch(q, -1) {
		assert.True(t, n.logAttrs[m[1]], "%s: log attribute @%s does not exist", where, m[1])
	}
	for _, m := range regexp.MustCompile(`(?:^|[\s(])([a-z][a-z0-9_.]*):`).FindAllStringSubmatch(q, -1) {
		assert.Contains(t, []string{"service", "host", "status", "source"}, m[1], "%s: %s: filters a tag; OTLP log attributes are @%s", where, m[1], m[1])
	}
}

// checkMessage checks a monitor message's template syntax: balanced conditional blocks,
// known plain variables, and tag or facet variables in bracket form that the monitor groups by.
func checkMessage(t *testing.T, where, msg string, groups []string) {
	t.Helper()
	var open []string
	for _, m := range ddTemplate.FindAllStringSubmatch(msg, -1) {
		v := m[1]
		switch {
		case ddTemplateBlock.MatchString(v):
			b := ddTemplateBlock.FindStringSubmatch(v)
			if b[1] == "/" {
				if assert.NotEmpty(t, open, "%s: {{%s}} closes nothing", where, v) {
					assert.Equal(t, open[len(open)-1], b[2], "%s: {{%s}} closes another block", where, v)
					open = open[:len(open)-1]
				}
			} else {
				open = append(open, b[2])
			}
		case ddTemplateTag.MatchString(v):
			tag := ddTemplateTag.FindStringSubmatch(v)[1]
			assert.Contains(t, groups, tag, "%s: {{%s}} is not in the monitor's group-by %v", where, v, groups)
		default:
			assert.True(t, ddTemplatePlain[v], "%s: {{%s}} is no Datadog template variable of this form (dotted tags need {{[tag].name}})", where, v)
		}
	}
	assert.Empty(t, open, "%s: unclosed blocks", where)
}

// ddMonitor is one monitor file: its name and the body the Monitors API takes.
type ddMonitor struct {
	file string
	raw  []byte
	m    datadogV1.Monitor
}

func loadDDMonitors(t *testing.T) []ddMonitor {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("datadog", "monitors", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 17)
	var out []ddMonitor
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		var m datadogV1.Monitor
		require.NoError(t, json.Unmarshal(raw, &m), f)
		assert.Empty(t, unknownFields(reflect.ValueOf(m), "monitor"), "%s: fields the Monitors API model does not know", f)
		out = append(out, ddMonitor{file: f, raw: raw, m: m})
	}
	return out
}

// TestDatadogMonitorsImport decodes every monitor with Datadog's API client model, refusing
// unknown fields, and checks its query against the monitor query grammar, its message against
// the template syntax, and its names against metadata.yaml.
func TestDatadogMonitorsImport(t *testing.T) {
	n := deriveDDNames(t, loadCatalogue(t))
	for _, dm := range loadDDMonitors(t) {
		m, where := dm.m, dm.m.GetName()
		assert.Equal(t, where+".json", filepath.Base(dm.file), "file name")
		assert.Contains(t, m.GetMessage(), runbookBase+strings.ToLower(where), "%s: runbook link", where)
		critical, ok := m.GetOptions().Thresholds.GetCriticalOk()
		require.True(t, ok, "%s: options.thresholds.critical", where)

		var groups, subjects []string
		switch m.GetType() {
		case datadogV1.MONITORTYPE_QUERY_ALERT:
			q := ddMetricMonitor.FindStringSubmatch(m.GetQuery())
			require.NotNil(t, q, "%s: not a metric monitor query: %s", where, m.GetQuery())
			threshold, err := strconv.ParseFloat(q[3], 64)
			require.NoError(t, err)
			assert.Equal(t, *critical, threshold, "%s: the query's threshold and options.thresholds.critical differ", where)
			terms := parseMetricExpr(t, where, q[1])
			require.NotEmpty(t, terms, "%s: no metric in %s", where, q[1])
			groups = terms[0].by
			for _, term := range terms {
				n.checkTerm(t, where, term, nil)
				assert.ElementsMatch(t, groups, term.by, "%s: every term of an expression must group by the same tags", where)
				subjects = n.cat.subjects(where, term.metric)
				if !strings.HasPrefix(term.metric, "backbone.api.") {
					assert.Contains(t, term.filters, attrIdle+":false", "%s: %s does not leave out idle integrations", where, term.metric)
				}
			}
		case datadogV1.MONITORTYPE_LOG_ALERT:
			q := ddLogMonitor.FindStringSubmatch(m.GetQuery())
			require.NotNil(t, q, "%s: not a log monitor query: %s", where, m.GetQuery())
			threshold, err := strconv.ParseFloat(q[4], 64)
			require.NoError(t, err)
			assert.Equal(t, *critical, threshold, "%s: the query's threshold and options.thresholds.critical differ", where)
			n.checkLogQuery(t, where, q[1])
			assert.Contains(t, q[1], "@event.name:", "%s: message alerts count event names", where)
			assert.NotContains(t, q[1], "@backbone.folder", "%s: backbone.message.resolved records carry the folder too", where)
			assert.Contains(t, q[1], "@"+attrIdle+":false", "%s: does not leave out idle integrations", where)
			for _, f := range splitComma(q[2]) {
				require.True(t, strings.HasPrefix(f, "@"), "%s: group-by %s is no attribute", where, f)
				assert.True(t, n.logAttrs[f[1:]], "%s: group-by %s does not exist", where, f)
				groups = append(groups, f)
			}
			subjects = []string{"@" + attrJira, "@" + attrIntegration, "@" + attrConnector}
		default:
			t.Errorf("%s: type %s", where, m.GetType())
		}
		checkMessage(t, where, m.GetMessage(), groups)
		// Every alert names its subjects: in its group-by, and in its message.
		for _, s := range subjects {
			assert.Contains(t, groups, s, "%s: does not group by %s", where, s)
			assert.Contains(t, m.GetMessage(), "{{["+s+"].name}}", "%s: message does not name %s", where, s)
		}
		if opts := m.GetOptions(); opts.GetNotifyNoData() {
			assert.Contains(t, m.GetMessage(), "{{#is_no_data}}", "%s: a no-data monitor says what no data means", where)
			assert.Positive(t, opts.GetNoDataTimeframe(), "%s: no_data_timeframe", where)
		}
	}
}

// TestDatadogAlertsPageOnlyWhenSomeoneMustAct pins down the semantics of the integration and
// connector monitors: which states page, and that connector monitors need a running connector.
func TestDatadogAlertsPageOnlyWhenSomeoneMustAct(t *testing.T) {
	byName := map[string]*datadogV1.Monitor{}
	for _, dm := range loadDDMonitors(t) {
		byName[dm.m.GetName()] = &dm.m
	}
	// Was running and stopped: the connectors' uptime, reported only while they run, stops;
	// an integration that never ran (draft, pending or declined request) has none to lose.
	stopped := byName["BackboneIntegrationNotRunning"]
	opts := stopped.GetOptions()
	assert.Contains(t, stopped.GetQuery(), ":max:backbone.connector.uptime{")
	assert.True(t, opts.GetNotifyNoData())
	assert.LessOrEqual(t, opts.GetNoDataTimeframe(), int64(10))

	admin := byName["BackboneIntegrationNeedsAdmin"].GetQuery()
	var states []string
	for _, m := range regexp.MustCompile(`backbone\.integration\.state:([a-z_]+)`).FindAllStringSubmatch(admin, -1) {
		states = append(states, m[1])
	}
	assert.ElementsMatch(t, []string{"restart_required", "update_required", "handshake", "waiting_for_slave"}, states)

	for _, name := range []string{"BackboneConnectorOffline", "BackboneConnectorReconnecting", "BackboneRouteNotStarted"} {
		assert.Contains(t, byName[name].GetQuery(), "* clamp_max(max:backbone.connector.uptime{", "%s: not quiet while the connector does not run", name)
	}
	assert.Regexp(t, `^change\(`, byName["BackboneSendBacklogGrowing"].GetQuery(), "backlog growth is a change")
}

// ddDashboard is the part of the dashboard the name checks read.
type ddDashboard struct {
	TemplateVariables []struct {
		Name   string `json:"name"`
		Prefix string `json:"prefix"`
	} `json:"template_variables"`
	Widgets []struct {
		Definition struct {
			Type     string   `json:"type"`
			Title    string   `json:"title"`
			Query    string   `json:"query"`
			Columns  []string `json:"columns"`
			Requests []struct {
				Q string `json:"q"`
			} `json:"requests"`
		} `json:"definition"`
	} `json:"widgets"`
}

// TestDatadogDashboardImports decodes the dashboard with Datadog's API client model, refusing
// unknown fields, and checks every query and template variable.
func TestDatadogDashboardImports(t *testing.T) {
	raw := readPack(t, "datadog/dashboard.json")
	var model datadogV1.Dashboard
	require.NoError(t, json.Unmarshal(raw, &model))
	assert.Empty(t, unknownFields(reflect.ValueOf(model), "dashboard"), "fields the Dashboards API model does not know")

	n := deriveDDNames(t, loadCatalogue(t))
	var d ddDashboard
	require.NoError(t, json.Unmarshal(raw, &d))
	vars := map[string]string{}
	for _, v := range d.TemplateVariables {
		assert.True(t, n.tags[v.Prefix], "template variable %s: tag %s does not exist", v.Name, v.Prefix)
		vars[v.Name] = v.Prefix
	}
	assert.Equal(t, map[string]string{attrJira: attrJira, attrIntegration: attrIntegration}, vars)
	queries, logStreams := 0, map[string]bool{}
	for _, w := range d.Widgets {
		def := w.Definition
		for _, r := range def.Requests {
			for _, term := range parseMetricExpr(t, def.Title, r.Q) {
				queries++
				n.checkTerm(t, def.Title, term, vars)
			}
		}
		if def.Type == "log_stream" {
			// $var.value is the variable's value alone, for attribute filters.
			q := regexp.MustCompile(`\$[a-z.]+\.value`).ReplaceAllString(def.Query, "x")
			n.checkLogQuery(t, def.Title, q)
			assert.Contains(t, def.Query, "@"+attrIntegration+":$"+attrIntegration+".value", "%s: not filtered by the selected integration", def.Title)
			for _, c := range def.Columns {
				if c != "host" {
					n.checkLogQuery(t, def.Title, "service:jira "+c)
				}
			}
			logStreams[strings.Fields(def.Query)[0]] = true
		}
		if def.Title == "Integrations not running" {
			require.Len(t, def.Requests, 1)
			assert.Contains(t, def.Requests[0].Q, "!backbone.integration.state:running", "counts every state but running")
		}
	}
	assert.GreaterOrEqual(t, queries, 20)
	assert.Equal(t, map[string]bool{"service:otelcol-backbone": true, "service:jira": true}, logStreams, "message events next to Jira's log lines")
}

// TestDatadogImportScript runs the documented import command against a local server standing
// for Datadog's API: every monitor file and the dashboard arrive, each as its own request.
func TestDatadogImportScript(t *testing.T) {
	var (
		mu       sync.Mutex
		received = map[string][][]byte{}
	)
	handler := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		assert.Equal(t, "api-key", r.Header.Get("DD-API-KEY"))
		assert.Equal(t, "app-key", r.Header.Get("DD-APPLICATION-KEY"))
		assert.Equal(t, http.MethodPost, r.Method)
		mu.Lock()
		received[r.URL.Path] = append(received[r.URL.Path], body)
		mu.Unlock()
		_, _ = w.Write([]byte(`{"id":1}`))
	}
	out, err := runImport(t, filepath.Join("datadog", "import.sh"), handler, func(url string) []string {
		return []string{"DD_API_KEY=api-key", "DD_APP_KEY=app-key", "DD_API_URL=" + url}
	})
	require.NoError(t, err, out)
	monitors := loadDDMonitors(t)
	require.Len(t, received["/api/v1/monitor"], len(monitors))
	for _, dm := range monitors {
		assert.True(t, slices.ContainsFunc(received["/api/v1/monitor"], func(b []byte) bool { return bytes.Equal(b, dm.raw) }), "%s not sent as it is", dm.file)
	}
	require.Len(t, received["/api/v1/dashboard"], 1)
	assert.Equal(t, readPack(t, "datadog/dashboard.json"), received["/api/v1/dashboard"][0])
}
