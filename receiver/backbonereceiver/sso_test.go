package backbonereceiver

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

// A Jira behind SSO that lets API clients through with Atlassian's ?nosso: the endpoint
// carries it, the config is valid, the receiver starts, and every call keeps it. When the
// SSO app stops honouring it, each call meets a redirect to the identity provider:
// error.type redirect, one line naming its host, one call per interval (no lockout
// back-off), and the integrations keep their last known state meanwhile.
func TestEndpointWithSSOBypass(t *testing.T) {
	e := newFaultEnv(t)
	var bypass atomic.Bool
	bypass.Store(true)
	e.gate.set(func(w http.ResponseWriter, r *http.Request) {
		if !bypass.Load() || !r.URL.Query().Has("nosso") {
			http.Redirect(w, r, "https://idp.example.com/saml2/login?SAMLRequest=fVLL", http.StatusFound)
			return
		}
		e.gate.next.ServeHTTP(w, r)
	})
	e.cfg.Endpoint = e.url + "?nosso"
	e.cfg.Directory = ""
	require.NoError(t, confmap.Validate(e.cfg))
	h := startHarness(t, e.cfg)
	clock := newTestClock()
	h.r.reader.now = clock.Now
	md := h.scrape(t)
	assert.Equal(t, apiUpPoint{value: 1}, apiUp(t, md))
	running := map[string]integrationState{
		"INT-15": {state: "running"}, "INT-16": {state: "running"}, "INT-17": {state: "running"},
	}
	assert.Equal(t, running, integrationStates(md))
	assert.Empty(t, h.warnings("Backbone API"))
	assert.NotContains(t, allStrings(md), e.url+"?nosso", "jira.base_url is the endpoint without its query")

	bypass.Store(false)
	for range 3 {
		clock.Add(time.Minute)
		md = h.scrape(t)
		assert.Equal(t, apiUpPoint{value: 0, errorType: "redirect"}, apiUp(t, md))
		for key, s := range integrationStates(md) {
			assert.Equal(t, "running", s.state, "%s keeps its last known state", key)
			assert.Greater(t, s.age, 0.0)
		}
	}
	assert.Len(t, e.gate.requests(), 4, "one call per interval")
	if warnings := h.warnings("Backbone API"); assert.Len(t, warnings, 1) {
		assert.Contains(t, warnings[0], "login page at idp.example.com")
		assert.NotContains(t, warnings[0], "SAMLRequest")
	}
}
