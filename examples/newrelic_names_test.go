package examples

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/newrelic/newrelic-client-go/v2/pkg/alerts"
	"github.com/newrelic/newrelic-client-go/v2/pkg/dashboards"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// New Relic stores OTLP metrics as Metric events and OTLP logs as Log events, keeping the
// metric and attribute names as they are (docs: "OpenTelemetry metrics in New Relic", "OTLP
// attribute types", "OpenTelemetry logs in New Relic"): resource and record attributes land on
// every data point and record, the log body in `message`. The log mapping has no field for the
// record's EventName, hence the event.name attribute the receiver adds.
var (
	nrqlString = regexp.MustCompile(`'(?:[^'\\]|\\.)*'`)
	nrqlDotted = regexp.MustCompile(`\b[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+\b`)
	nrqlFrom   = regexp.MustCompile(`\bFROM\s+(Metric|Log)\b`)
	nrqlSelect = regexp.MustCompile(`\bSELECT\s+(.*?)\s+(?:WHERE|FACET|SINCE|LIMIT|TIMESERIES)\b|\bSELECT\s+(.*)$`)
	nrqlCall   = regexp.MustCompile(`\b([a-zA-Z_]+)\(([a-z][a-z0-9_.]*|\*)\)`)
	nrqlFacet  = regexp.MustCompile(`\bFACET\s+(.*?)(?:\s+(?:SINCE|LIMIT|TIMESERIES)\b|$)`)
	nrqlTag    = regexp.MustCompile(`\{\{\s*tags\.([a-z][a-z0-9_.]*)\s*\}\}`)
	// The aggregators whose argument is a metric, when reading Metric.
	nrqlMetricAggregators = set("min", "max", "sum", "average", "latest", "earliest", "count")
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
	for a := range jiraLogAttributes {
		n.known["Log"][a] = true
	}
	return n
}

// checkNRQL reports every name of a query that its event type does not hold, every
// aggregation of Metric over something that is not a metric, and returns the query's facets.
func (n nrNames) checkNRQL(t *testing.T, where, q string) (from string, facets []string) {
	t.Helper()
	f := nrqlFrom.FindStringSubmatch(q)
	if !assert.NotNil(t, f, "%s: query reads neither Metric nor Log: %s", where, q) {
		return "", nil
	}
	known := n.known[f[1]]
	bare := nrqlString.ReplaceAllString(q, "''")
	for _, name := range nrqlDotted.FindAllString(bare, -1) {
		assert.True(t, known[name], "%s: %s has no %s", where, f[1], name)
	}
	m := nrqlSelect.FindStringSubmatch(bare)
	if !assert.NotNil(t, m, "%s: no SELECT list in %s", where, q) {
		return f[1], nil
	}
	calls := nrqlCall.FindAllStringSubmatch(m[1]+m[2], -1)
	if f[1] == "Metric" {
		assert.NotEmpty(t, calls, "%s: Metric read without an aggregator", where)
		for _, c := range calls {
			if nrqlMetricAggregators[c[1]] && c[2] != "*" {
				assert.True(t, n.metrics[c[2]], "%s: %s aggregates %s, which is not a metric", where, c[0], c[2])
			}
		}
	} else if len(calls) == 0 {
		for _, col := range splitComma(m[1] + m[2]) {
			assert.True(t, known[col], "%s: Log has no %s", where, col)
		}
	}
	if fm := nrqlFacet.FindStringSubmatch(bare); fm != nil {
		facets = splitComma(fm[1])
	}
	return f[1], facets
}

// decodeStrict decodes raw into v, refusing fields v's type does not have.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func loadNRConditions(t *testing.T) []alerts.NrqlConditionCreateInput {
	t.Helper()
	var conditions []alerts.NrqlConditionCreateInput
	require.NoError(t, decodeStrict(readPack(t, "newrelic/alert-conditions.json"), &conditions), "alert-conditions.json")
	require.GreaterOrEqual(t, len(conditions), 17)
	return conditions
}

// TestNewRelicConditionsImport decodes the policy and every NRQL condition with New Relic's
// client types, refusing unknown fields, and checks their enums, queries, runbook links and
// title templates.
func TestNewRelicConditionsImport(t *testing.T) {
	var policy alerts.AlertsPolicyInput
	require.NoError(t, decodeStrict(readPack(t, "newrelic/policy.json"), &policy), "policy.json")
	assert.NotEmpty(t, policy.Name)
	assert.Contains(t, []alerts.AlertsIncidentPreference{
		alerts.AlertsIncidentPreferenceTypes.PER_CONDITION, alerts.AlertsIncidentPreferenceTypes.PER_CONDITION_AND_TARGET, alerts.AlertsIncidentPreferenceTypes.PER_POLICY,
	}, policy.IncidentPreference)

	c := loadCatalogue(t)
	n := deriveNRNames(c)
	for _, cond := range loadNRConditions(t) {
		where := cond.Name
		assert.True(t, cond.Enabled, where)
		assert.Equal(t, runbookBase+strings.ToLower(where), cond.RunbookURL, where)
		assert.Empty(t, cond.Type, "%s: the static create mutation takes no type", where)
		lossOfSignal := cond.Expiration != nil && cond.Expiration.OpenViolationOnExpiration
		assert.True(t, len(cond.Terms) > 0 || lossOfSignal, "%s: neither terms nor an incident on loss of signal", where)
		if lossOfSignal {
			require.NotNil(t, cond.Expiration.ExpirationDuration, where)
			assert.LessOrEqual(t, *cond.Expiration.ExpirationDuration, 600, "%s: loss of signal within 10 minutes", where)
		}
		for _, term := range cond.Terms {
			assert.Contains(t, []alerts.NrqlConditionPriority{alerts.NrqlConditionPriorities.Critical, alerts.NrqlConditionPriorities.Warning}, term.Priority, where)
			assert.Contains(t, []alerts.AlertsNRQLConditionTermsOperator{
				alerts.AlertsNRQLConditionTermsOperatorTypes.ABOVE, alerts.AlertsNRQLConditionTermsOperatorTypes.ABOVE_OR_EQUALS,
				alerts.AlertsNRQLConditionTermsOperatorTypes.BELOW, alerts.AlertsNRQLConditionTermsOperatorTypes.BELOW_OR_EQUALS,
			}, term.Operator, where)
			assert.Equal(t, alerts.ThresholdOccurrences.All, term.ThresholdOccurrences, where)
			require.NotNil(t, term.Threshold, where)
			assert.Positive(t, term.ThresholdDuration, where)
		}
		require.NotNil(t, cond.Signal, where)
		require.NotNil(t, cond.Signal.AggregationMethod, where)
		assert.Equal(t, alerts.NrqlConditionAggregationMethodTypes.EventFlow, *cond.Signal.AggregationMethod, where)

		q := cond.Nrql.Query
		from, facets := n.checkNRQL(t, where, q)
		// Every alert names its subjects: as facets, and in its title template.
		var subjects []string
		if from == "Log" {
			subjects = []string{attrJira, attrIntegration, attrConnector}
			assert.Contains(t, q, "event.name IN (", "%s: message alerts count event names", where)
			assert.NotContains(t, q, "backbone.folder", "%s: backbone.message.resolved records carry the folder too", where)
		} else {
			for _, m := range nrqlCall.FindAllStringSubmatch(q, -1) {
				if n.metrics[m[2]] {
					subjects = c.subjects(where, m[2])
					break
				}
			}
		}
		require.NotNil(t, cond.TitleTemplate, "%s: no title template", where)
		for _, v := range regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`).FindAllStringSubmatch(*cond.TitleTemplate, -1) {
			assert.True(t, v[1] == "conditionName" || nrqlTag.MatchString(v[0]), "%s: {{%s}} is neither a facet tag nor the condition's name", where, v[1])
		}
		var named []string
		for _, m := range nrqlTag.FindAllStringSubmatch(*cond.TitleTemplate, -1) {
			named = append(named, m[1])
			assert.Contains(t, facets, m[1], "%s: {{tags.%s}} is no facet", where, m[1])
		}
		for _, s := range subjects {
			assert.Contains(t, facets, s, "%s: not faceted by %s", where, s)
			assert.Contains(t, named, s, "%s: title does not name %s", where, s)
		}
		if len(subjects) > 1 {
			assert.Contains(t, q, attrIdle+" IS FALSE", "%s: does not leave out idle integrations", where)
		}
	}
}

// TestNewRelicAlertsPageOnlyWhenSomeoneMustAct pins down the semantics of the integration,
// connector and backlog conditions.
func TestNewRelicAlertsPageOnlyWhenSomeoneMustAct(t *testing.T) {
	byName := map[string]alerts.NrqlConditionCreateInput{}
	for _, c := range loadNRConditions(t) {
		byName[c.Name] = c
	}
	// Was running and stopped: loss of the connectors' uptime, reported only while they run;
	// an integration that never ran (draft, pending or declined request) has no signal to lose.
	stopped := byName["BackboneIntegrationNotRunning"]
	assert.Contains(t, stopped.Nrql.Query, "count(backbone.connector.uptime)")
	require.NotNil(t, stopped.Expiration)
	assert.True(t, stopped.Expiration.OpenViolationOnExpiration)
	assert.Empty(t, stopped.Terms)

	assert.Contains(t, byName["BackboneIntegrationNeedsAdmin"].Nrql.Query,
		"backbone.integration.state IN ('restart_required', 'update_required', 'handshake', 'waiting_for_slave')")
	for _, name := range []string{"BackboneConnectorOffline", "BackboneConnectorReconnecting", "BackboneRouteNotStarted"} {
		assert.Contains(t, byName[name].Nrql.Query, "* clamp_max(count(backbone.connector.uptime), 1)", "%s: not quiet while the connector does not run", name)
	}
	// Growth within the window, not a level.
	assert.Contains(t, byName["BackboneSendBacklogGrowing"].Nrql.Query, "SELECT latest(backbone.folder.messages) - earliest(backbone.folder.messages)")
}

// widgetQueries are the NRQL queries of a typed widget, of the kinds the dashboard uses.
func widgetQueries(c dashboards.DashboardWidgetConfigurationInput) []dashboards.DashboardWidgetNRQLQueryInput {
	var out []dashboards.DashboardWidgetNRQLQueryInput
	if c.Area != nil {
		out = append(out, c.Area.NRQLQueries...)
	}
	if c.Billboard != nil {
		out = append(out, c.Billboard.NRQLQueries...)
	}
	if c.Line != nil {
		out = append(out, c.Line.NRQLQueries...)
	}
	if c.Table != nil {
		out = append(out, c.Table.NRQLQueries...)
	}
	return out
}

// TestNewRelicDashboardImports decodes the dashboard with New Relic's client types, refusing
// unknown fields, and checks its variables and every NRQL query.
func TestNewRelicDashboardImports(t *testing.T) {
	raw := readPack(t, "newrelic/dashboard.json")
	assert.NotContains(t, string(raw), "accountId", "the import command fills in the account")
	var d dashboards.DashboardInput
	require.NoError(t, decodeStrict(raw, &d), "dashboard.json")

	n := deriveNRNames(loadCatalogue(t))
	vars := map[string]string{}
	for _, v := range d.Variables {
		require.NotNil(t, v.NRQLQuery, v.Name)
		assert.Equal(t, dashboards.DashboardVariableTypeTypes.NRQL, v.Type, v.Name)
		_, facets := n.checkNRQL(t, "variable "+v.Name, string(v.NRQLQuery.Query))
		assert.Empty(t, facets)
		m := regexp.MustCompile(`SELECT uniques\(([a-z_.]+)\)`).FindStringSubmatch(string(v.NRQLQuery.Query))
		require.NotNil(t, m, "variable %s: not a list of values", v.Name)
		vars[v.Name] = m[1]
	}
	assert.Equal(t, map[string]string{"jira": attrJira, "integration": attrIntegration}, vars)

	queries, logs := 0, map[string]bool{}
	for _, p := range d.Pages {
		for _, w := range p.Widgets {
			nrql := widgetQueries(w.Configuration)
			require.NotEmpty(t, nrql, "%s: no typed configuration", w.Title)
			for _, q := range nrql {
				queries++
				query := string(q.Query)
				from, _ := n.checkNRQL(t, w.Title, query)
				assert.Contains(t, query, attrJira+" IN ({{jira}})", "%s: not filtered by the Jira variable", w.Title)
				if !strings.Contains(query, "backbone.api.") {
					assert.Contains(t, query, attrIntegration+" IN ({{integration}})", "%s: not filtered by the integration variable", w.Title)
				}
				if from == "Log" {
					logs[nrqlString.FindString(query[strings.Index(query, "service.name = "):])] = true
				}
			}
		}
	}
	assert.GreaterOrEqual(t, queries, 15)
	assert.Equal(t, map[string]bool{"'otelcol-backbone'": true, "'jira'": true}, logs, "message events next to Jira's log lines")
}

// TestNewRelicImportScript runs the documented import command against a local server standing
// for NerdGraph: it creates the policy, every condition in that policy, and the dashboard with
// the account filled in, each input decoding as the client types with no unknown field.
func TestNewRelicImportScript(t *testing.T) {
	const account = 4242
	var (
		mu                   sync.Mutex
		policies, dashboardN int
		conditions           []string
	)
	handler := func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "user-key", r.Header.Get("API-Key"))
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Query     string                     `json:"query"`
			Variables map[string]json.RawMessage `json:"variables"`
		}
		assert.NoError(t, decodeStrict(body, &req), "request")
		assert.JSONEq(t, "4242", string(req.Variables["accountId"]))
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.Contains(req.Query, "alertsPolicyCreate(accountId: $accountId, policy: $policy)"):
			var p alerts.AlertsPolicyInput
			assert.NoError(t, decodeStrict(req.Variables["policy"], &p), "policy")
			policies++
			_, _ = w.Write([]byte(`{"data":{"alertsPolicyCreate":{"id":"77"}}}`))
		case strings.Contains(req.Query, "alertsNrqlConditionStaticCreate(accountId: $accountId, policyId: $policyId, condition: $condition)"):
			assert.JSONEq(t, `"77"`, string(req.Variables["policyId"]))
			var c alerts.NrqlConditionCreateInput
			assert.NoError(t, decodeStrict(req.Variables["condition"], &c), "condition")
			conditions = append(conditions, c.Name)
			out, _ := json.Marshal(map[string]any{"data": map[string]any{"alertsNrqlConditionStaticCreate": map[string]string{"id": "1", "name": c.Name}}})
			_, _ = w.Write(out)
		case strings.Contains(req.Query, "dashboardCreate(accountId: $accountId, dashboard: $dashboard)"):
			var d dashboards.DashboardInput
			assert.NoError(t, decodeStrict(req.Variables["dashboard"], &d), "dashboard")
			for _, v := range d.Variables {
				assert.Equal(t, []int{account}, v.NRQLQuery.AccountIDs, v.Name)
			}
			for _, w := range d.Pages[0].Widgets {
				for _, q := range widgetQueries(w.Configuration) {
					assert.Equal(t, account, q.AccountID, w.Title)
				}
			}
			dashboardN++
			_, _ = w.Write([]byte(`{"data":{"dashboardCreate":{"entityResult":{"guid":"MXxEQVNI"},"errors":[]}}}`))
		default:
			t.Errorf("unexpected request %s", req.Query)
			w.WriteHeader(http.StatusBadRequest)
		}
	}
	out, err := runImport(t, "newrelic/import.sh", handler, func(url string) []string {
		return []string{"NEW_RELIC_API_KEY=user-key", "NEW_RELIC_ACCOUNT_ID=4242", "NERDGRAPH_URL=" + url}
	})
	require.NoError(t, err, out)
	assert.Equal(t, 1, policies)
	var want []string
	for _, c := range loadNRConditions(t) {
		want = append(want, c.Name)
	}
	assert.Equal(t, want, conditions)
	assert.Equal(t, 1, dashboardN)
}

// TestNewRelicImportScriptFailsOnErrors checks that the import command stops at the first
// NerdGraph error, which arrives with status 200.
func TestNewRelicImportScriptFailsOnErrors(t *testing.T) {
	var requests atomic.Int32
	handler := func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		_, _ = w.Write([]byte(`{"errors":[{"message":"Argument 'incidentPreference' has an invalid value"}],"data":null}`))
	}
	out, err := runImport(t, "newrelic/import.sh", handler, func(url string) []string {
		return []string{"NEW_RELIC_API_KEY=user-key", "NEW_RELIC_ACCOUNT_ID=4242", "NERDGRAPH_URL=" + url}
	})
	require.Error(t, err)
	assert.Contains(t, out, "invalid value")
	assert.EqualValues(t, 1, requests.Load())
}
