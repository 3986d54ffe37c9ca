package backboneapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ptr[T any](v T) *T { return &v }

func TestIntegrationsFixtures(t *testing.T) {
	tests := []struct {
		desc  string
		file  string
		check func(t *testing.T, got []Integration)
	}{
		{
			desc: "vendor example",
			file: "integrations.json",
			check: func(t *testing.T, got []Integration) {
				require.Len(t, got, 2)
				central := got[0]
				assert.Equal(t, "INT-16", central.IntegrationKey)
				assert.False(t, central.Distributed)
				assert.Nil(t, central.Master)
				assert.Equal(t, "STOPPED", central.Status.Status)
				assert.Nil(t, central.Status.FirstConnector.StartTime)
				assert.Equal(t, "PB-30", central.Status.SecondConnector.ConnectorKey)
				assert.Equal(t, "PB", central.SecondConnector.ProjectKey)
				assert.Equal(t, "http://localhost:8081/jira2", central.SecondConnector.Connection.Application.BaseURL)
				assert.Equal(t, &Queue{Type: "vm", Name: "AP-29_PB-30"}, central.FirstConnector.Connection.Connector.SendQueue)
				assert.Equal(t, "2016-11-10T11:07:10+0100", central.CreatedDate)
				assert.Equal(t, wantINT15, got[1])
			},
		},
		{
			desc: "distributed only",
			file: "integrations_distributed.json",
			check: func(t *testing.T, got []Integration) {
				require.Len(t, got, 1)
				assert.True(t, got[0].Distributed)
				assert.Equal(t, ptr(false), got[0].Master)
				assert.Nil(t, got[0].SecondConnector)
				assert.Nil(t, got[0].Status.SecondConnector)
				st := got[0].Status.FirstConnector
				assert.Equal(t, int64(4), st.IssuesInError)
				assert.True(t, st.Reconnecting)
				assert.False(t, st.Online)
				assert.Equal(t, "Partner not reachable", st.OutgoingDetails)
			},
		},
		{
			desc: "unknown states kept as sent",
			file: "integrations_unknown_states.json",
			check: func(t *testing.T, got []Integration) {
				require.Len(t, got, 2)
				assert.Equal(t, "RESTART REQUIRED", got[0].Status.Status)
				assert.Equal(t, "restart_required", NormalizeState(got[0].Status.Status))
				assert.Equal(t, "SOMETHING_NEW", got[1].Status.Status)
				assert.NotContains(t, IntegrationStates, NormalizeState(got[1].Status.Status))
				assert.Equal(t, "SUSPENDED", got[1].Status.FirstConnector.IncomingRouteStatus)
			},
		},
		{
			desc: "missing optional fields",
			file: "integrations_missing_fields.json",
			check: func(t *testing.T, got []Integration) {
				require.Len(t, got, 3)
				assert.Nil(t, got[0].Status)
				assert.Nil(t, got[0].FirstConnector)
				assert.Empty(t, got[0].Status.Connectors())
				assert.Nil(t, got[1].Status.SecondConnector)
				assert.Nil(t, got[1].Status.FirstConnector.StartTime)
				assert.Equal(t, "", got[1].Status.FirstConnector.IncomingRouteStatus)
				assert.Nil(t, got[1].FirstConnector.Connection.Connector.SendQueue)
				assert.Empty(t, got[2].Status.Connectors())
			},
		},
		{
			desc: "unknown extra fields ignored",
			file: "integrations_extra_fields.json",
			check: func(t *testing.T, got []Integration) {
				require.Len(t, got, 1)
				assert.Equal(t, int64(1), got[0].Status.FirstConnector.IssuesInError)
				assert.Equal(t, &Queue{Type: "http", Name: "EE-6_out"}, got[0].FirstConnector.Connection.Connector.SendQueue)
			},
		},
		{
			desc: "empty array",
			file: "integrations_empty.json",
			check: func(t *testing.T, got []Integration) {
				assert.NotNil(t, got)
				assert.Empty(t, got)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			srv := serve(t, jsonOK(fixture(t, tt.file)))
			c, _ := newTestClient(t, srv.Client(), srv.URL)
			got, err := c.Integrations(t.Context(), "")
			require.NoError(t, err)
			tt.check(t, got)
		})
	}
}

var wantINT15 = Integration{
	IntegrationKey:     "INT-15",
	Summary:            "Some project",
	Description:        "This is the integration between Some project and the integration partner.",
	CreatedUser:        "admin",
	LastModifiedUser:   "backbone",
	CreatedDate:        "2016-10-10T16:36:31+0200",
	LastModifiedDate:   "2016-10-10T16:44:06+0200",
	Distributed:        true,
	Master:             ptr(true),
	PartnerProjectType: "business",
	Status: &IntegrationStatus{
		Status: "RUNNING",
		FirstConnector: &ConnectorStatus{
			ConnectorKey: "SP-28", StartTime: ptr(int64(1484063311224)), Online: true,
			IncomingRouteStatus: "STARTED", OutgoingRouteStatus: "STARTED", ExternalRouteStatus: "STARTED",
			IncomingProcessingStatus: "IDLE", OutgoingProcessingStatus: "IDLE",
		},
	},
	FirstConnector: &Connector{
		ConnectorKey: "SP-28", ProjectKey: "SP",
		CreatedUser: "admin", LastModifiedUser: "backbone",
		CreatedDate: "2016-10-10T16:44:06+0200", LastModifiedDate: "2017-01-10T16:48:31+0100",
		Connection: Connection{
			Application: Application{BaseURL: "http://localhost:8080", User: "backbone"},
			Connector: ConnectorConfig{
				SendQueue:                   &Queue{Type: "file", Path: "INT-15/SEND"},
				ReceiveQueue:                &Queue{Type: "file", Path: "INT-15/RECEIVE"},
				InitialInternalPollingDelay: 1000,
				InternalPollingInterval:     1000,
			},
		},
	},
}

func TestIntegrationStatusFixtures(t *testing.T) {
	tests := []struct {
		desc string
		file string
		want *IntegrationStatus
	}{
		{
			desc: "vendor example",
			file: "status.json",
			want: &IntegrationStatus{
				Status: "RUNNING",
				FirstConnector: &ConnectorStatus{
					ConnectorKey: "SSD-38", StartTime: ptr(int64(1484063311400)), Online: true,
					IncomingRouteStatus: "STARTED", OutgoingRouteStatus: "STARTED", ExternalRouteStatus: "STARTED",
					IncomingProcessingStatus: "IDLE", OutgoingProcessingStatus: "IDLE",
				},
				SecondConnector: &ConnectorStatus{
					ConnectorKey: "AP-39", StartTime: ptr(int64(1484063311530)), Online: true,
					IncomingRouteStatus: "STARTED", OutgoingRouteStatus: "STARTED", ExternalRouteStatus: "STARTED",
					IncomingProcessingStatus: "IDLE", OutgoingProcessingStatus: "IDLE",
				},
			},
		},
		{
			desc: "unknown spelling, one connector, extra field",
			file: "status_unknown.json",
			want: &IntegrationStatus{
				Status: "Restart-Required",
				FirstConnector: &ConnectorStatus{
					ConnectorKey: "GG-8", Online: true, IssuesInError: 12,
					IncomingRouteStatus: "STOPPED", OutgoingRouteStatus: "STOPPED", ExternalRouteStatus: "STOPPED",
					IncomingProcessingStatus: "IDLE", OutgoingProcessingStatus: "IDLE",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			srv := serve(t, jsonOK(fixture(t, tt.file)))
			c, _ := newTestClient(t, srv.Client(), srv.URL)
			got, err := c.IntegrationStatus(t.Context(), "INT-16")
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestConnectors(t *testing.T) {
	first, second := &ConnectorStatus{ConnectorKey: "A-1"}, &ConnectorStatus{ConnectorKey: "B-2"}
	tests := []struct {
		desc string
		st   *IntegrationStatus
		want []string
	}{
		{desc: "nil status", st: nil},
		{desc: "no connectors", st: &IntegrationStatus{}},
		{desc: "first only", st: &IntegrationStatus{FirstConnector: first}, want: []string{"A-1"}},
		{desc: "second only", st: &IntegrationStatus{SecondConnector: second}, want: []string{"B-2"}},
		{desc: "both in order", st: &IntegrationStatus{FirstConnector: first, SecondConnector: second}, want: []string{"A-1", "B-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var keys []string
			for _, c := range tt.st.Connectors() {
				keys = append(keys, c.ConnectorKey)
			}
			assert.Equal(t, tt.want, keys)
		})
	}
}

func TestProjectKey(t *testing.T) {
	in := &Integration{
		FirstConnector:  &Connector{ConnectorKey: "AP-29", ProjectKey: "AGILE"},
		SecondConnector: &Connector{ConnectorKey: "PB-30"},
	}
	tests := []struct {
		desc string
		in   *Integration
		key  string
		want string
	}{
		{desc: "from first connector config", in: in, key: "AP-29", want: "AGILE"},
		{desc: "config without project key falls back", in: in, key: "PB-30", want: "PB"},
		{desc: "unknown connector falls back", in: in, key: "ZZ-1", want: "ZZ"},
		{desc: "nil integration", in: nil, key: "SP-28", want: "SP"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.in.ProjectKey(tt.key))
		})
	}
}

func TestProjectKeyFromConnectorKey(t *testing.T) {
	tests := []struct {
		desc, in, want string
	}{
		{desc: "simple", in: "AP-29", want: "AP"},
		{desc: "project key with digits and underscore", in: "AB_2-7", want: "AB_2"},
		{desc: "only the last suffix", in: "A-1-2", want: "A-1"},
		{desc: "no suffix", in: "AP", want: "AP"},
		{desc: "non-digit suffix", in: "AP-x1", want: "AP-x1"},
		{desc: "dash without digits", in: "AP-", want: "AP-"},
		{desc: "nothing before the dash", in: "-29", want: "-29"},
		{desc: "empty", in: "", want: ""},
		{desc: "non-ASCII digits are not a suffix", in: "AP-٣", want: "AP-٣"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, tt.want, ProjectKeyFromConnectorKey(tt.in))
		})
	}
}
