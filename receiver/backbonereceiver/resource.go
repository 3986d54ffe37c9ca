package backbonereceiver

import (
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

// integrationResource is what the resource of an integration's metrics and records says
// besides its key, as last read from the API; metrics and events set it the same way.
type integrationResource struct {
	known              bool // the API listed the integration
	summary            string
	distributed        bool
	master             *bool
	partnerProjectType string
}

func resourceOf(it *backboneapi.Integration) integrationResource {
	if it == nil {
		return integrationResource{}
	}
	return integrationResource{
		known:              true,
		summary:            it.Summary,
		distributed:        it.Distributed,
		master:             it.Master,
		partnerProjectType: it.PartnerProjectType,
	}
}

// origin is what every integration's resource says of where it is watched from: the Jira of
// the receiver's endpoint ("" without one) and the integrations an admin marked idle.
type origin struct {
	jiraBaseURL string
	idle        map[string]bool
}

func originOf(cfg *Config) origin {
	idle := make(map[string]bool, len(cfg.IdleIntegrations))
	for _, key := range cfg.IdleIntegrations {
		idle[key] = true
	}
	return origin{jiraBaseURL: jiraBaseURL(cfg.Endpoint), idle: idle}
}

// set fills rb for the integration key, seen from o.
func (r integrationResource) set(rb *metadata.ResourceBuilder, key string, o origin) {
	rb.SetBackboneIntegrationKey(key)
	rb.SetBackboneIntegrationIdle(o.idle[key])
	if r.summary != "" {
		rb.SetBackboneIntegrationSummary(r.summary)
	}
	if r.known {
		rb.SetBackboneIntegrationDistributed(r.distributed)
	}
	if r.master != nil {
		rb.SetBackboneIntegrationMaster(*r.master)
	}
	if r.partnerProjectType != "" {
		rb.SetBackboneIntegrationPartnerProjectType(r.partnerProjectType)
	}
	if o.jiraBaseURL != "" {
		rb.SetJiraBaseURL(o.jiraBaseURL)
	}
}
