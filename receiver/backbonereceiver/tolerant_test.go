package backbonereceiver

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
)

// TestTolerantReader runs the real client against a Backbone that answers in ways the
// vendor's examples do not show but that are not failures: the metrics are compared with a
// golden file, backbone.api.up stays 1, and what was left out is logged once, however many
// intervals it lasts.
func TestTolerantReader(t *testing.T) {
	tests := []struct {
		desc    string
		arrange func(e *faultEnv)
		golden  string
		warning string // in the first warning line; "" for none
		lines   int    // warning lines when not 1: one per integration concerned
	}{
		{
			desc:    "JSON labelled text/plain",
			arrange: func(e *faultEnv) { e.sim.SetQuirks(backbonesim.Quirks{ContentType: backbonesim.ContentText}) },
			golden:  "tolerant_sim.yaml",
		},
		{
			desc:    "JSON without Content-Type",
			arrange: func(e *faultEnv) { e.sim.SetQuirks(backbonesim.Quirks{ContentType: backbonesim.ContentNone}) },
			golden:  "tolerant_sim.yaml",
		},
		{
			desc:    "JSON labelled application/octet-stream",
			arrange: func(e *faultEnv) { e.sim.SetQuirks(backbonesim.Quirks{ContentType: backbonesim.ContentOctetStream}) },
			golden:  "tolerant_sim.yaml",
		},
		{
			desc: "the status of one integration fails with 500",
			arrange: func(e *faultEnv) {
				e.sim.SetQuirks(backbonesim.Quirks{StatusFailure: "INT-17", StatusFailureCode: 500})
			},
			golden:  "tolerant_status_failure.yaml",
			warning: "the status of integration INT-17 could not be read, so its state is reported as unknown; the other integrations are reported",
		},
		{
			desc: "the status of one integration fails with 404",
			arrange: func(e *faultEnv) {
				e.sim.SetQuirks(backbonesim.Quirks{StatusFailure: "INT-17", StatusFailureCode: 404})
			},
			golden:  "tolerant_status_failure.yaml",
			warning: `integration "INT-17" not found; it may have been deleted since the list was read`,
		},
		{
			desc:    "fields of another JSON type",
			arrange: func(e *faultEnv) { e.sim.SetQuirks(backbonesim.Quirks{ChangedTypes: true}) },
			golden:  "tolerant_changed_types.yaml",
			warning: "integration INT-15: fields left out because their type is not the one expected: status.firstConnector.externalRouteStatus; the rest of the integration is reported",
			lines:   3,
		},
		{
			desc:    "a project key Jira does not know",
			arrange: func(e *faultEnv) { e.cfg.ProjectKeys = []string{"AP", "SP", "NOPE"} },
			golden:  "tolerant_sim.yaml",
			warning: `project_keys entry "NOPE" matches nothing (get integrations (projectKey "NOPE"): HTTP 404: Jira knows no project "NOPE"`,
		},
		{
			desc:    "a project key without integrations",
			arrange: func(e *faultEnv) { e.cfg.ProjectKeys = []string{"AP", "SP", "LONELY"} },
			golden:  "tolerant_sim.yaml",
			warning: `project_keys entry "LONELY" matches nothing (Jira lists no integration of project "LONELY"); the other keys are reported`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			e := newFaultEnvWith(t, backbonesim.Options{Projects: []string{"LONELY"}})
			e.cfg.Directory = "" // the API alone: the folders have tests of their own
			tt.arrange(e)
			h := startHarness(t, e.cfg)
			for range faultScrapes {
				h.scrape(t)
			}
			md := h.scrape(t)
			assert.Equal(t, apiUpPoint{value: 1}, apiUp(t, md), "the integrations list was read")
			compareGolden(t, filepath.Join("testdata", "metrics", tt.golden), md)
			warnings := h.warnings("Backbone API")
			if tt.warning == "" {
				assert.Empty(t, warnings)
				return
			}
			if assert.Len(t, warnings, max(tt.lines, 1), "one line each, however many intervals") {
				assert.Contains(t, warnings[0], tt.warning)
				t.Logf("logged: %s", warnings[0])
			}
		})
	}
}

// TestTolerantStatusFailureClears checks that the line about a failed status call is
// followed by one line when it works again, and that the integration is back in its state.
func TestTolerantStatusFailureClears(t *testing.T) {
	e := newFaultEnv(t)
	e.cfg.Directory = ""
	e.sim.SetQuirks(backbonesim.Quirks{StatusFailure: "INT-17"})
	h := startHarness(t, e.cfg)
	md := h.scrape(t)
	assert.Equal(t, int64(1), stateOf(md, "INT-17", stateUnknown))
	assert.Equal(t, int64(0), stateOf(md, "INT-17", "running"))
	e.sim.SetQuirks(backbonesim.Quirks{})
	md = h.scrape(t)
	h.scrape(t)
	assert.Equal(t, 1, h.resolved("Backbone API: the status of integration INT-17"))
	assert.Equal(t, int64(1), stateOf(md, "INT-17", "running"))
	assert.Equal(t, int64(-1), stateOf(md, "INT-17", stateUnknown), "no unknown series once the status is read")
}

// stateOf returns the backbone.integration.status point of state for an integration; -1
// when there is none.
func stateOf(md pmetric.Metrics, integration, state string) int64 {
	for _, rm := range md.ResourceMetrics().All() {
		if key, _ := rm.Resource().Attributes().Get("backbone.integration.key"); key.Str() != integration {
			continue
		}
		for _, m := range rm.ScopeMetrics().At(0).Metrics().All() {
			if m.Name() != "backbone.integration.status" {
				continue
			}
			for _, dp := range m.Sum().DataPoints().All() {
				if s, _ := dp.Attributes().Get("backbone.integration.state"); s.Str() == state {
					return dp.IntValue()
				}
			}
		}
	}
	return -1
}
