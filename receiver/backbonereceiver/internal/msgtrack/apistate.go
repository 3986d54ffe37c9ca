package msgtrack

import "time"

// connectorID joins folder and API data: a connector key is unique only
// within its integration.
type connectorID struct{ integration, connector string }

// ObserveIntegration records the integration's state and emits a
// status_changed event when it differs from the last one seen. The first
// observation since start is only a baseline; an empty state is unknown and
// ignored, so an API failure is never a change.
func (t *Tracker) ObserveIntegration(now time.Time, integration, state string) {
	if state == "" {
		return
	}
	prev, ok := t.integrations[integration]
	t.integrations[integration] = state
	if !ok || prev == state {
		return
	}
	t.enqueue(Event{
		Kind: KindStatusChanged, Observed: now.UTC(),
		Integration: integration, State: state, PreviousState: prev,
	})
}

// ConnectorState is what the API says of a connector that its events report.
type ConnectorState struct {
	ProjectKey      string
	BaseURL         string // the connector's Jira
	Online          bool
	IncomingDetails string // Backbone's free text on each direction, usually empty
	OutgoingDetails string
}

// ObserveConnector records a connector's state: an online_changed event
// when its online flag flips, carrying the current details texts, and a
// details_changed event for each direction whose text changed. The first
// observation is a baseline.
func (t *Tracker) ObserveConnector(now time.Time, integration, connector string, st ConnectorState) {
	id := connectorID{integration, connector}
	prev, ok := t.connectors[id]
	t.connectors[id] = st
	if !ok {
		return
	}
	base := Event{
		Observed: now.UTC(), Integration: integration, Connector: connector,
		ProjectKey: st.ProjectKey, BaseURL: st.BaseURL,
	}
	var evs []Event
	if prev.Online != st.Online {
		ev := base
		ev.Kind, ev.Online = KindOnlineChanged, st.Online
		ev.IncomingDetails, ev.OutgoingDetails = st.IncomingDetails, st.OutgoingDetails
		evs = append(evs, ev)
	}
	for _, d := range []struct{ direction, before, after string }{
		{"incoming", prev.IncomingDetails, st.IncomingDetails},
		{"outgoing", prev.OutgoingDetails, st.OutgoingDetails},
	} {
		if d.before != d.after {
			ev := base
			ev.Kind, ev.Direction, ev.Details = KindDetailsChanged, d.direction, d.after
			evs = append(evs, ev)
		}
	}
	t.enqueue(evs...)
}

// ForgetMissing drops the API state of integrations not in the list, and of
// their connectors, so that memory follows the configured integrations. Call
// it only with a complete, successful listing: a forgotten integration that
// returns is a first observation again, so a change meanwhile goes unreported.
func (t *Tracker) ForgetMissing(integrations []string) {
	keep := make(map[string]struct{}, len(integrations))
	for _, k := range integrations {
		keep[k] = struct{}{}
	}
	for k := range t.integrations {
		if _, ok := keep[k]; !ok {
			delete(t.integrations, k)
		}
	}
	for id := range t.connectors {
		if _, ok := keep[id.integration]; !ok {
			delete(t.connectors, id)
		}
	}
}
