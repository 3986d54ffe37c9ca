package prometheus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The parts of a Grafana dashboard the tests look at.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []struct {
			Name       string         `json:"name"`
			Expr       string         `json:"expr"`
			Datasource *datasourceRef `json:"datasource"`
		} `json:"list"`
	} `json:"annotations"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int            `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Datasource  *datasourceRef `json:"datasource"`
	GridPos     *struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []panelTarget `json:"targets"`
	Panels  []panel       `json:"panels"` // of a collapsed row
}

type panelTarget struct {
	RefID      string         `json:"refId"`
	Expr       string         `json:"expr"`
	Datasource *datasourceRef `json:"datasource"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *datasourceRef  `json:"datasource"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

// queryText returns a query variable's query, written as a string or as {"query": ...}.
func (v variable) queryText() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.Query, &o)
	return o.Query
}

const (
	dashboardPath  = "examples/grafana/backbone-dashboard.json"
	promDatasource = "${datasource}"
	logsDatasource = "${logs}"
)

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(dashboardPath)))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s does not parse: %v", dashboardPath, err)
	}
	return d
}

// allPanels flattens rows, collapsed or not.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// promQuery is a PromQL query of the dashboard and where it comes from.
type promQuery struct {
	where string
	expr  string
}

// promQueries returns every PromQL query of the dashboard's panels.
func (d dashboard) promQueries() []promQuery {
	var out []promQuery
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			ds := tg.Datasource
			if ds == nil {
				ds = p.Datasource
			}
			if ds != nil && ds.Type == "prometheus" {
				out = append(out, promQuery{where: fmt.Sprintf("panel %q target %s", p.Title, tg.RefID), expr: tg.Expr})
			}
		}
	}
	return out
}

// labelValuesPattern reads Grafana's label_values(<selector>, <label>).
var labelValuesPattern = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// variableQueries returns the selector and label of each label_values variable.
func (d dashboard) variableQueries(t *testing.T) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValuesPattern.FindStringSubmatch(strings.TrimSpace(v.queryText()))
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(<selector>, <label>)", v.Name, v.queryText())
			continue
		}
		out[v.Name] = [2]string{m[1], m[2]}
	}
	return out
}

// grafanaVars are the variables a query may use besides the dashboard's own.
var grafanaVars = map[string]string{
	"__rate_interval": "1m",
	"__interval":      "15s",
	"__range":         "1h",
}

var varPattern = regexp.MustCompile(`\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?`)

// substitute replaces $name and ${name} as Grafana does, with values already escaped.
func substitute(expr string, values map[string]string) (string, error) {
	var missing []string
	out := varPattern.ReplaceAllStringFunc(expr, func(m string) string {
		name := varPattern.FindStringSubmatch(m)[1]
		if v, ok := values[name]; ok {
			return v
		}
		if v, ok := grafanaVars[name]; ok {
			return v
		}
		missing = append(missing, name)
		return m
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("unknown variables %v", missing)
	}
	return out, nil
}

// promRegexEscape escapes a variable value as Grafana's Prometheus data source does for
// regex matchers: a backslash (itself escaped in the PromQL string) before each regex
// metacharacter.
func promRegexEscape(v string) string {
	var b strings.Builder
	for _, r := range v {
		if strings.ContainsRune(`\$^*{}[]'+?.()|`, r) {
			b.WriteString(`\\`)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// The dashboard parses, every panel has a data source and queries, the variables are the
// ones the queries use, and every PromQL query filters by them. Needs no Prometheus.
func TestPrometheusDashboardJSON(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("dashboard needs a uid and a title, has %q and %q", d.UID, d.Title)
	}

	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v := vars["datasource"]; v.Type != "datasource" || v.queryText() != "prometheus" {
		t.Errorf("variable datasource must be a Prometheus data source variable, is %+v", v)
	}
	if v := vars["logs"]; v.Type != "datasource" || v.queryText() != "loki" {
		t.Errorf("variable logs must be a Loki data source variable, is %+v", v)
	}
	for _, name := range []string{"jira_base_url", "integration", "connector"} {
		v, ok := vars[name]
		switch {
		case !ok:
			t.Errorf("variable %s is missing", name)
		case v.Type != "query" || v.Datasource == nil || v.Datasource.UID != promDatasource:
			t.Errorf("variable %s must be a query on %s, is %+v", name, promDatasource, v)
		case !v.IncludeAll || v.AllValue != ".*":
			// ".*" also matches series without the label (jira_base_url is absent when only
			// the folder tree is configured).
			t.Errorf("variable %s must offer All with allValue \".*\"", name)
		}
	}
	vq := d.variableQueries(t)
	if vq["jira_base_url"][1] != "jira_base_url" || vq["integration"][1] != "backbone_integration_key" || vq["connector"][1] != "backbone_connector_key" {
		t.Errorf("variables read the wrong labels: %v", vq)
	}

	ids := map[int]string{}
	var types []string
	jiraLogPanels := 0
	for _, p := range allPanels(d.Panels) {
		if prev, dup := ids[p.ID]; dup {
			t.Errorf("panels %q and %q share id %d", prev, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 {
			t.Errorf("panel %q has no gridPos", p.Title)
		}
		if p.Type == "row" {
			continue
		}
		types = append(types, p.Type)
		if p.Title == "" || p.Description == "" {
			t.Errorf("panel %d (%s) needs a title and a description", p.ID, p.Type)
		}
		if p.Datasource == nil || (p.Datasource.UID != promDatasource && p.Datasource.UID != logsDatasource) {
			t.Errorf("panel %q must use %s or %s as data source, has %+v", p.Title, promDatasource, logsDatasource, p.Datasource)
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no targets", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.RefID == "" || strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q: target %+v needs a refId and an expr", p.Title, tg)
			}
			if tg.Datasource != nil && *tg.Datasource != *p.Datasource {
				t.Errorf("panel %q: target %s uses %+v, the panel %+v", p.Title, tg.RefID, tg.Datasource, p.Datasource)
			}
			if p.Datasource.UID == logsDatasource {
				if p.Type != "logs" {
					t.Errorf("panel %q queries logs but is a %s panel", p.Title, p.Type)
				}
				checkLogQuery(t, "logs panel "+p.Title, tg.Expr)
				if strings.Contains(tg.Expr, jiraLogStream) {
					jiraLogPanels++
				}
			}
			if _, err := substitute(tg.Expr, map[string]string{"jira_base_url": ".*", "integration": ".*", "connector": ".*"}); err != nil {
				t.Errorf("panel %q target %s: %v", p.Title, tg.RefID, err)
			}
			if open, closed := strings.Count(tg.Expr, "("), strings.Count(tg.Expr, ")"); open != closed {
				t.Errorf("panel %q target %s: %d '(' and %d ')'", p.Title, tg.RefID, open, closed)
			}
			if p.Datasource.UID == promDatasource && strings.Contains(tg.Expr, "backbone_integration_key") && !strings.Contains(tg.Expr, "$integration") {
				t.Errorf("panel %q target %s uses integrations but ignores $integration: %s", p.Title, tg.RefID, tg.Expr)
			}
		}
	}
	if jiraLogPanels != 1 {
		t.Errorf("%d logs panels show Jira's log (%s), want one beside the message events", jiraLogPanels, jiraLogStream)
	}
	for _, a := range d.Annotations.List {
		if a.Datasource != nil && a.Datasource.UID == logsDatasource {
			checkLogQuery(t, "annotation "+a.Name, a.Expr)
		}
	}
	sort.Strings(types)
	for _, want := range []string{"logs", "stat", "table", "timeseries", "state-timeline"} {
		if i := sort.SearchStrings(types, want); i == len(types) || types[i] != want {
			t.Errorf("dashboard has no %s panel", want)
		}
	}
	if len(d.promQueries()) < 10 {
		t.Errorf("only %d PromQL queries", len(d.promQueries()))
	}
}

// jiraLogStream selects Jira's own log records (examples/full/jira-log.yaml).
const jiraLogStream = `{service_name="jira"}`

// checkLogQuery checks a LogQL query: the receiver's events are selected by event name,
// never by folder (backbone.message.resolved records carry the folder too), and filtered by
// every variable; Jira's log lines by Jira and integration (they name no connector), and only
// those that name an integration.
func checkLogQuery(t *testing.T, where, expr string) {
	t.Helper()
	want := []string{"$jira_base_url", "$integration"}
	switch {
	case strings.Contains(expr, jiraLogStream):
		if !strings.Contains(expr, `backbone_integration_key!=""`) {
			t.Errorf("%s: Jira's log lines must be those that name an integration: %s", where, expr)
		}
	case strings.Contains(expr, `{service_name="otelcol-backbone"}`):
		if !strings.Contains(expr, "event_name") || strings.Contains(expr, "backbone_folder") {
			t.Errorf("%s: select the events by event_name, not by folder: %s", where, expr)
		}
		if !strings.HasPrefix(where, "annotation") {
			want = append(want, "$connector")
		}
	default:
		t.Errorf("%s: neither the receiver's events nor Jira's log: %s", where, expr)
	}
	for _, v := range want {
		if !strings.Contains(expr, v) {
			t.Errorf("%s does not filter by %s: %s", where, v, expr)
		}
	}
}

// checkDashboardQueries runs every PromQL query of the dashboard, and the selectors of its
// variables, on a Prometheus that scrapes the failure scenario: each must parse (a parse
// error is HTTP 400) and return data with all variables at All; with one integration and
// connector picked, each must still parse.
func checkDashboardQueries(t *testing.T, prom *promClient, jiraURL string) {
	t.Helper()
	d := loadDashboard(t)
	all := map[string]string{"jira_base_url": ".*", "integration": ".*", "connector": ".*"}
	picked := map[string]string{
		"jira_base_url": promRegexEscape(jiraURL),
		"integration":   promRegexEscape("INT-16"),
		"connector":     promRegexEscape("AP-29"),
	}
	for name, sel := range d.variableQueries(t) {
		q, err := substitute(sel[0], all)
		if err != nil {
			t.Errorf("variable %s: %v", name, err)
			continue
		}
		res, err := prom.query(q)
		if err != nil {
			t.Errorf("variable %s: selector %s: %v", name, q, err)
			continue
		}
		found := 0
		for _, s := range res {
			if s.Metric[sel[1]] != "" {
				found++
			}
		}
		if found == 0 {
			t.Errorf("variable %s: %s returned no series with label %s", name, q, sel[1])
		}
	}
	queries := d.promQueries()
	for _, pq := range queries {
		for _, values := range []map[string]string{all, picked} {
			q, err := substitute(pq.expr, values)
			if err != nil {
				t.Errorf("%s: %v", pq.where, err)
				continue
			}
			res, err := prom.query(q)
			if err != nil {
				t.Errorf("%s: %s: %v", pq.where, q, err)
				continue
			}
			if len(res) == 0 && values["integration"] == ".*" {
				t.Errorf("%s: %s returned no data", pq.where, q)
			}
		}
	}
	t.Logf("dashboard: %d PromQL queries and %d variable selectors parse; all return data", len(queries), len(d.variableQueries(t)))
}
