package backbonereceiver

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

// A Jira behind SSO that lets API clients through with Atlassian's ?nosso: the endpoint
// carries it, the config is valid, the receiver starts, and every call keeps it.
func TestEndpointWithSSOBypass(t *testing.T) {
	e := newFaultEnv(t)
	e.gate.set(func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.Query().Has("nosso") {
			http.Redirect(w, r, "https://idp.example.com/saml2/login", http.StatusFound)
			return
		}
		e.gate.next.ServeHTTP(w, r)
	})
	e.cfg.Endpoint = e.url + "?nosso"
	e.cfg.Directory = ""
	require.NoError(t, confmap.Validate(e.cfg))
	h := startHarness(t, e.cfg)
	md := h.scrape(t)
	assert.Equal(t, apiUpPoint{value: 1}, apiUp(t, md))
	assert.Len(t, statusKeys(md), 3)
	assert.Empty(t, h.warnings("Backbone API"))
	assert.NotContains(t, allStrings(md), e.url+"?nosso", "jira.base_url is the endpoint without its query")

	e.cfg.Endpoint = e.url
	h = startHarness(t, e.cfg)
	assert.Equal(t, apiUpPoint{value: 0, errorType: "redirect"}, apiUp(t, h.scrape(t)))
	if warnings := h.warnings("Backbone API"); assert.Len(t, warnings, 1) {
		assert.Contains(t, warnings[0], "login page at idp.example.com")
	}
}
