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

// ObserveConnector records a connector's online flag and emits an
// online_changed event when it flips; the first observation is a baseline.
func (t *Tracker) ObserveConnector(now time.Time, integration, connector, projectKey string, online bool) {
	id := connectorID{integration, connector}
	prev, ok := t.connectors[id]
	t.connectors[id] = online
	if !ok || prev == online {
		return
	}
	t.enqueue(Event{
		Kind: KindOnlineChanged, Observed: now.UTC(),
		Integration: integration, Connector: connector, ProjectKey: projectKey, Online: online,
	})
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
