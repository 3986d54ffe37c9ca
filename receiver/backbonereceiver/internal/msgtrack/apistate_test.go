package msgtrack

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// apiScrape is what one scrape learnt from the API; integrations missing
// from it were not listed. forget lists the integrations passed to
// ForgetMissing, when set.
type apiScrape struct {
	states     map[string]string
	connectors map[string]bool // "INT-1/AP-1" -> online
	forget     []string
}

func TestStateChanges(t *testing.T) {
	tests := []struct {
		desc    string
		scrapes []apiScrape
		want    []string
	}{
		{
			desc: "the first observation after a start is silent",
			scrapes: []apiScrape{
				{states: map[string]string{"INT-1": "stopped", "INT-2": "running"}, connectors: map[string]bool{"INT-1/AP-1": false}},
				{states: map[string]string{"INT-1": "stopped", "INT-2": "running"}, connectors: map[string]bool{"INT-1/AP-1": false}},
			},
		},
		{
			desc: "each change is one event, in order",
			scrapes: []apiScrape{
				{states: map[string]string{"INT-1": "running"}},
				{states: map[string]string{"INT-1": "stopped"}},
				{states: map[string]string{"INT-1": "stopped"}},
				{states: map[string]string{"INT-1": "running"}},
			},
			want: []string{"status INT-1 running->stopped", "status INT-1 stopped->running"},
		},
		{
			desc: "an integration missing from one response is not a change",
			scrapes: []apiScrape{
				{states: map[string]string{"INT-1": "running", "INT-2": "running"}},
				{states: map[string]string{"INT-2": "running"}},
				{states: map[string]string{"INT-1": "running", "INT-2": "running"}},
			},
		},
		{
			desc: "an unknown state (API failure) is not a change",
			scrapes: []apiScrape{
				{states: map[string]string{"INT-1": "running"}},
				{states: map[string]string{"INT-1": ""}},
				{states: map[string]string{"INT-1": "running"}},
			},
		},
		{
			desc: "connectors go offline and online",
			scrapes: []apiScrape{
				{connectors: map[string]bool{"INT-1/AP-1": true, "INT-1/BP-2": true}},
				{connectors: map[string]bool{"INT-1/AP-1": false, "INT-1/BP-2": true}},
				{connectors: map[string]bool{"INT-1/AP-1": false}},
				{connectors: map[string]bool{"INT-1/AP-1": true, "INT-1/BP-2": true}},
			},
			want: []string{"online INT-1/AP-1 false", "online INT-1/AP-1 true"},
		},
		{
			desc: "the same connector key in two integrations is two connectors",
			scrapes: []apiScrape{
				{connectors: map[string]bool{"INT-1/AP-1": true}},
				{connectors: map[string]bool{"INT-2/AP-1": false}},
			},
		},
		{
			desc: "a forgotten integration starts again from a baseline",
			scrapes: []apiScrape{
				{states: map[string]string{"INT-1": "running", "INT-2": "running"}, connectors: map[string]bool{"INT-1/AP-1": true}},
				{states: map[string]string{"INT-2": "running"}, forget: []string{"INT-2"}},
				{states: map[string]string{"INT-1": "stopped", "INT-2": "stopped"}, connectors: map[string]bool{"INT-1/AP-1": false}},
			},
			want: []string{"status INT-2 running->stopped"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			tr := New(0)
			for i, s := range tt.scrapes {
				// Sorted keys would be needed for several changes per scrape;
				// the cases above change at most one thing per scrape.
				for integ, state := range s.states {
					tr.ObserveIntegration(at(i), integ, state)
				}
				for id, online := range s.connectors {
					integ, conn, _ := strings.Cut(id, "/")
					tr.ObserveConnector(at(i), integ, conn, ConnectorState{ProjectKey: "AP", Online: online})
				}
				if s.forget != nil {
					tr.ForgetMissing(s.forget)
				}
			}
			assert.Equal(t, tt.want, brief(tr.Pending(0)))
		})
	}
}

func TestStateChangeEvent(t *testing.T) {
	tr := New(0)
	tr.ObserveIntegration(at(0), "INT-1", "running")
	tr.ObserveConnector(at(0), "INT-1", "AP-1", ConnectorState{ProjectKey: "AP", Online: true})
	tr.ObserveIntegration(at(1), "INT-1", "restart_required")
	tr.ObserveConnector(at(2), "INT-1", "AP-1", ConnectorState{ProjectKey: "AP", Online: false})
	assert.Equal(t, []Event{
		{Kind: KindStatusChanged, Observed: at(1), Integration: "INT-1", State: "restart_required", PreviousState: "running"},
		{Kind: KindOnlineChanged, Observed: at(2), Integration: "INT-1", Connector: "AP-1", ProjectKey: "AP", Online: false},
	}, tr.Pending(0))
}
