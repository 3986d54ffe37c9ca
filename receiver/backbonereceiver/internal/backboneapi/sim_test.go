package backboneapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
)

// The client reads through every quirk of the simulator: each answer is data,
// or a failure the receiver can tell apart, never an authentication problem.
func TestClientReadsSimulatorQuirks(t *testing.T) {
	sim, err := backbonesim.New(backbonesim.Options{Dir: t.TempDir(), Projects: []string{"HR"}})
	require.NoError(t, err)
	srv := serve(t, sim)
	t.Cleanup(func() { _ = sim.Close() })
	newClient := func() *Client {
		return NewClient(srv.Client(), Config{Endpoint: srv.URL, Username: backbonesim.DefaultUsername, Password: backbonesim.DefaultPassword})
	}
	require.NoError(t, sim.SetDetails("PB-30", "", "Partner not reachable"))
	want, err := newClient().Integrations(t.Context(), "")
	require.NoError(t, err)
	require.Len(t, want, 3)

	for _, ct := range []backbonesim.ContentType{backbonesim.ContentText, backbonesim.ContentNone, backbonesim.ContentOctetStream} {
		t.Run("content type "+string(ct), func(t *testing.T) {
			sim.SetQuirks(backbonesim.Quirks{ContentType: ct})
			c := newClient()
			got, err := c.Integrations(t.Context(), "")
			require.NoError(t, err)
			assert.Equal(t, want, got)
			_, err = c.Integrations(t.Context(), "NOPE")
			key, ok := UnknownProject(err)
			assert.True(t, ok, "%v", err)
			assert.Equal(t, "NOPE", key)
		})
	}
	t.Run("changed types", func(t *testing.T) {
		sim.SetQuirks(backbonesim.Quirks{ChangedTypes: true})
		got, err := newClient().Integrations(t.Context(), "")
		require.NoError(t, err)
		require.Len(t, got, len(want))
		for i := range got {
			// The same integration, but for the state sent as a number: left out and named.
			exp := want[i]
			st := *exp.Status
			exp.Status = &st
			for _, side := range []struct {
				name string
				c    **ConnectorStatus
			}{{"firstConnector", &st.FirstConnector}, {"secondConnector", &st.SecondConnector}} {
				if *side.c == nil {
					continue
				}
				c := **side.c
				c.ExternalRouteStatus = ""
				*side.c = &c
				exp.Unread = append(exp.Unread, "status."+side.name+".externalRouteStatus")
			}
			assert.Equal(t, exp, got[i])
		}
	})
	t.Run("failing status of one integration", func(t *testing.T) {
		sim.SetQuirks(backbonesim.Quirks{StatusFailure: "INT-17", StatusFailureCode: http.StatusNotFound})
		c := newClient()
		got, err := c.Integrations(t.Context(), "")
		require.NoError(t, err)
		for _, in := range got {
			assert.Equal(t, in.IntegrationKey != "INT-17", in.Status != nil, in.IntegrationKey)
		}
		_, err = c.IntegrationStatus(t.Context(), "INT-17")
		assert.Equal(t, KindNotFound, KindOf(err))
		_, ok := UnknownProject(err)
		assert.False(t, ok)
		st, err := c.IntegrationStatus(t.Context(), "INT-16")
		require.NoError(t, err)
		assert.Equal(t, "Partner not reachable", st.SecondConnector.OutgoingDetails)
	})
	t.Run("project without integrations", func(t *testing.T) {
		sim.SetQuirks(backbonesim.Quirks{})
		got, err := newClient().Integrations(t.Context(), "HR")
		require.NoError(t, err)
		assert.NotNil(t, got)
		assert.Empty(t, got)
	})
}
