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

// set fills rb for the integration key; jiraBaseURL is the receiver's endpoint ("" without one).
func (r integrationResource) set(rb *metadata.ResourceBuilder, key, jiraBaseURL string) {
	rb.SetBackboneIntegrationKey(key)
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
	if jiraBaseURL != "" {
		rb.SetJiraBaseURL(jiraBaseURL)
	}
}
