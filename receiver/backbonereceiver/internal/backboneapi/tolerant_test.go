package backboneapi

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A servlet's content type is not documented: a 2xx whose body is the JSON
// asked for is data, whatever its label.
func TestAnyContentTypeIsData(t *testing.T) {
	list, status := fixture(t, "integrations.json"), fixture(t, "status.json")
	want := decodeFixture(t, list)
	for _, ct := range []string{
		"application/json;charset=UTF-8",
		"application/json",
		"text/plain",
		"text/plain;charset=ISO-8859-1",
		noContentType,
		"application/octet-stream",
		"text/html;charset=UTF-8", // a wrong label does not make JSON a login page
		"not a media type;;",
	} {
		t.Run(ct, func(t *testing.T) {
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := list
				if r.URL.Path != "/"+APIPath+"integrations" {
					body = status
				}
				respond(http.StatusOK, ct, body)(w, r)
			}))
			c, _ := newTestClient(t, srv.Client(), srv.URL)
			got, err := c.Integrations(t.Context(), "")
			require.NoError(t, err)
			assert.Equal(t, want, got)
			st, err := c.IntegrationStatus(t.Context(), "INT-17")
			require.NoError(t, err)
			assert.Equal(t, "SSD-38", st.FirstConnector.ConnectorKey)
		})
	}
}

// decodeFixture is the fixture as a strict decoder reads it.
func decodeFixture(t *testing.T, body []byte) []Integration {
	t.Helper()
	var l integrationList
	require.NoError(t, l.UnmarshalJSON(body))
	require.NoError(t, l.problems())
	return l.items
}

// Only Jira's login handling is an authentication failure: a 2xx body that is
// neither JSON nor HTML is a decode error, and the client does not hold back.
func TestNonJSONBody(t *testing.T) {
	loginPage := fixture(t, "login.html")
	tests := []struct {
		desc        string
		handler     http.Handler
		wantKind    ErrorKind
		wantMsg     string
		wantHolding bool // the next call is skipped
	}{
		{
			desc:     "text/plain",
			handler:  respond(http.StatusOK, "text/plain", []byte("hello")),
			wantKind: KindDecode,
			wantMsg:  "get integrations: HTTP 200: the response is not the JSON expected: invalid character 'h' looking for beginning of value (Content-Type text/plain)",
		},
		{
			desc:     "no content type",
			handler:  respond(http.StatusOK, noContentType, []byte("OK")),
			wantKind: KindDecode,
			wantMsg:  "HTTP 200: the response is not the JSON expected: invalid character 'O' looking for beginning of value",
		},
		{
			desc:     "octet-stream",
			handler:  respond(http.StatusOK, "application/octet-stream", []byte{0x50, 0x4b, 0x03, 0x04, 0x00}),
			wantKind: KindDecode,
			wantMsg:  "(Content-Type application/octet-stream)",
		},
		{
			desc:     "XML is markup but no page",
			handler:  respond(http.StatusOK, "application/xml", []byte(`<?xml version="1.0"?><status>RUNNING</status>`)),
			wantKind: KindDecode,
			wantMsg:  "the body looks like markup",
		},
		{
			desc:     "HTML labelled JSON is not Jira's login page",
			handler:  respond(http.StatusOK, "application/json", loginPage),
			wantKind: KindDecode,
			wantMsg:  "invalid character '<'",
		},
		{
			desc:     "HTML page after a login that Jira accepted",
			handler:  respond(http.StatusOK, "text/html", loginPage, headerLoginReason, "OK"),
			wantKind: KindDecode,
			wantMsg:  "invalid character '<'",
		},
		{
			desc:        "HTML page labelled text/html",
			handler:     respond(http.StatusOK, "text/html;charset=UTF-8", loginPage),
			wantKind:    KindAuth,
			wantMsg:     "HTTP 200 with a text/html page instead of JSON: Jira answered with its login page, the credentials were not accepted",
			wantHolding: true,
		},
		{
			desc:        "HTML page without content type",
			handler:     respond(http.StatusOK, noContentType, loginPage),
			wantKind:    KindAuth,
			wantMsg:     "HTTP 200 with an HTML page without Content-Type instead of JSON",
			wantHolding: true,
		},
		{
			desc:        "HTML page labelled text/plain",
			handler:     respond(http.StatusOK, "text/plain", loginPage),
			wantKind:    KindAuth,
			wantMsg:     "HTTP 200 with an HTML page labelled text/plain instead of JSON",
			wantHolding: true,
		},
		{
			desc:        "HTML page over the size limit",
			handler:     respond(http.StatusOK, "text/html", append(loginPage, make([]byte, 200)...)),
			wantKind:    KindAuth,
			wantMsg:     "login page",
			wantHolding: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			sw := &switchable{h: tt.handler}
			srv := serve(t, sw)
			c, _ := newTestClient(t, srv.Client(), srv.URL, func(c *Config) { c.MaxBodyBytes = int64(len(fixture(t, "login.html")) + 100) })
			items, err := c.Integrations(t.Context(), "")
			assert.Nil(t, items)
			assert.Equal(t, tt.wantKind, KindOf(err))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantMsg)

			_, err = c.Integrations(t.Context(), "")
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.wantHolding, e.Skipped)
			wantRequests := int64(2)
			if tt.wantHolding {
				wantRequests = 1
			}
			assert.Equal(t, wantRequests, sw.requests.Load())
		})
	}
}

// A decode error after an auth failure neither doubles nor clears the wait:
// only a body that is the JSON asked for, or one labelled JSON, proves the
// credentials work.
func TestDecodeErrorDoesNotResetAuthBackoff(t *testing.T) {
	sw := &switchable{h: authFailed}
	srv := serve(t, sw)
	c, clock := newTestClient(t, srv.Client(), srv.URL)
	_, err := c.Integrations(t.Context(), "")
	require.Equal(t, KindAuth, KindOf(err))

	clock.Advance(30 * time.Minute)
	sw.set(respond(http.StatusOK, "text/plain", []byte("hello")))
	_, err = c.Integrations(t.Context(), "")
	require.Equal(t, KindDecode, KindOf(err))

	sw.set(authFailed)
	_, err = c.Integrations(t.Context(), "")
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.False(t, e.Skipped)
	// Second failure in a row: the wait doubled, as if the decode error had not been.
	assert.Equal(t, clock.Now().Add(time.Hour), e.RetryAt)
	assert.Equal(t, int64(3), sw.requests.Load())
}

func TestChangedFieldTypes(t *testing.T) {
	srv := serve(t, jsonOK(fixture(t, "integrations_changed_types.json")))
	c, _ := newTestClient(t, srv.Client(), srv.URL)
	got, err := c.Integrations(t.Context(), "")
	require.NoError(t, err)
	want := []Integration{
		{
			IntegrationKey:     "INT-70",
			Summary:            "Changed types <> coerced",
			Distributed:        true,
			Master:             ptr(false),
			PartnerProjectType: "software",
			Status: &IntegrationStatus{
				Status: "RUNNING",
				FirstConnector: &ConnectorStatus{
					ConnectorKey: "CT-1", StartTime: ptr(int64(1484063311224)), Online: true,
					IncomingRouteStatus: "STARTED", ExternalRouteStatus: "STARTED",
					IncomingProcessingStatus: "IDLE", OutgoingProcessingStatus: "IDLE",
					OutgoingDetails: "Partner not reachable", IssuesInError: 5,
				},
			},
			FirstConnector: &Connector{
				ConnectorKey: "CT-1", ProjectKey: "CT",
				Connection: Connection{
					Application: Application{BaseURL: "http://localhost:8081/jira2/", User: "backbone"},
					Connector: ConnectorConfig{
						SendQueue:                   &Queue{Type: "file", Path: "INT-70/SEND"},
						ReceiveQueue:                &Queue{Type: "file", Path: "INT-70/RECEIVE"},
						InitialInternalPollingDelay: 1000,
						InternalPollingInterval:     1000,
					},
				},
			},
			Unread: []string{"status.firstConnector.outgoingRouteStatus"},
		},
		{
			IntegrationKey: "INT-71",
			Summary:        "Unreadable fields <> dropped",
			Status: &IntegrationStatus{
				FirstConnector: &ConnectorStatus{
					ConnectorKey: "CU-2",
					StartTime:    ptr(time.Date(2017, 1, 10, 15, 48, 31, 0, time.UTC).UnixMilli()),
				},
			},
			FirstConnector: &Connector{ConnectorKey: "CU-2"},
			Unread: []string{
				"status.status",
				"status.firstConnector.online",
				"status.firstConnector.issuesInError",
				"status.secondConnector",
				"firstConnector.projectKey",
				"firstConnector.connection",
			},
		},
		{
			IntegrationKey: "INT-72",
			Summary:        "Status as a string",
			Unread:         []string{"status"},
		},
	}
	assert.Equal(t, want, got)
	// The receiver's joins still work on what was kept.
	assert.Equal(t, "CU", got[1].ProjectKey("CU-2"))
	assert.Equal(t, "http://localhost:8081/jira2", got[0].Connector("CT-1").BaseURL())
}

func TestChangedFieldTypesInStatus(t *testing.T) {
	srv := serve(t, jsonOK([]byte(`{"status": "RUNNING", "firstConnector": {"connectorKey": "AP-29", "online": "FALSE", "issuesInError": 2.0, "startTime": null, "reconnecting": "1"}}`)))
	c, _ := newTestClient(t, srv.Client(), srv.URL)
	got, err := c.IntegrationStatus(t.Context(), "INT-16")
	require.NoError(t, err)
	assert.Equal(t, &IntegrationStatus{
		Status:         "RUNNING",
		FirstConnector: &ConnectorStatus{ConnectorKey: "AP-29", IssuesInError: 2, Reconnecting: true},
	}, got)
}

func TestLenientValues(t *testing.T) {
	tests := []struct {
		desc     string
		body     string
		want     ConnectorStatus
		wantLeft []string
	}{
		{desc: "numbers as strings", body: `{"issuesInError": " 7 ", "startTime": "12"}`, want: ConnectorStatus{IssuesInError: 7, StartTime: ptr(int64(12))}},
		{desc: "whole floats", body: `{"issuesInError": 3e2, "startTime": "5.0"}`, want: ConnectorStatus{IssuesInError: 300, StartTime: ptr(int64(5))}},
		{desc: "fractions are not counts", body: `{"issuesInError": 1.5, "online": true}`, want: ConnectorStatus{Online: true}, wantLeft: []string{"issuesInError"}},
		{desc: "out of range", body: `{"issuesInError": 1e400}`, wantLeft: []string{"issuesInError"}},
		{desc: "infinity in a string", body: `{"issuesInError": "Inf"}`, wantLeft: []string{"issuesInError"}},
		{desc: "dates only where a time belongs", body: `{"issuesInError": "2017-01-10T16:48:31Z", "startTime": "2017-01-10T16:48:31.5Z"}`, want: ConnectorStatus{StartTime: ptr(int64(1484066911500))}, wantLeft: []string{"issuesInError"}},
		{desc: "booleans", body: `{"online": "True", "reconnecting": 1}`, want: ConnectorStatus{Online: true, Reconnecting: true}},
		{desc: "no boolean", body: `{"online": "yes", "reconnecting": 2}`, wantLeft: []string{"online", "reconnecting"}},
		{desc: "states are names, not numbers", body: `{"incomingRouteStatus": 1, "outgoingRouteStatus": "STARTED"}`, want: ConnectorStatus{OutgoingRouteStatus: "STARTED"}, wantLeft: []string{"incomingRouteStatus"}},
		{desc: "nulls are absent", body: `{"startTime": null, "online": null, "connectorKey": "A-1", "issuesInError": "x"}`, want: ConnectorStatus{ConnectorKey: "A-1"}, wantLeft: []string{"issuesInError"}},
		{desc: "keys match ignoring case", body: `{"ISSUESINERROR": "4", "ConnectorKey": "B-2"}`, want: ConnectorStatus{ConnectorKey: "B-2", IssuesInError: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var got ConnectorStatus
			var r lenientReader
			require.True(t, r.object([]byte(tt.body), reflectValue(&got), ""))
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantLeft, r.unread)
		})
	}
}

func TestConnectorFacts(t *testing.T) {
	in := &Integration{
		FirstConnector: &Connector{ConnectorKey: "AP-29", Connection: Connection{
			Application: Application{BaseURL: "http://localhost:8080/"},
			Connector:   ConnectorConfig{SendQueue: &Queue{Type: "vm"}, ReceiveQueue: &Queue{Type: "VM"}},
		}},
		SecondConnector: &Connector{ConnectorKey: "PB-30", Connection: Connection{
			Application: Application{BaseURL: " https://sync:pa55@jira2.example.com/jira "},
			Connector:   ConnectorConfig{SendQueue: &Queue{Type: "file"}, ReceiveQueue: &Queue{Type: "vm"}},
		}},
	}
	tests := []struct {
		desc          string
		c             *Connector
		wantBaseURL   string
		wantQueueType string
	}{
		{desc: "first, queues agree", c: in.Connector("AP-29"), wantBaseURL: "http://localhost:8080", wantQueueType: "vm"},
		{desc: "second, credentials never shown, queues differ", c: in.Connector("PB-30"), wantBaseURL: "https://jira2.example.com/jira", wantQueueType: "mixed"},
		{desc: "only a receive queue", c: &Connector{Connection: Connection{Connector: ConnectorConfig{ReceiveQueue: &Queue{Type: "file"}}}}, wantQueueType: "file"},
		{desc: "unparsable URL with credentials", c: &Connector{Connection: Connection{Application: Application{BaseURL: "http://u:p@host:port/%zz"}}}},
		{desc: "unknown connector", c: in.Connector("ZZ-1")},
		{desc: "nil integration", c: (*Integration)(nil).Connector("AP-29")},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, tt.wantBaseURL, tt.c.BaseURL())
			assert.Equal(t, tt.wantQueueType, tt.c.QueueType())
		})
	}
}

func TestUnknownProject(t *testing.T) {
	tests := []struct {
		desc       string
		handler    http.Handler
		projectKey string
		wantKey    string
		wantEmpty  bool // a list without error
		wantMsg    string
	}{
		{
			desc:       "404 with Jira's JSON error",
			handler:    respond(http.StatusNotFound, "application/json", []byte(`{"errorMessages":["No project could be found with key 'XY'."],"errors":{}}`)),
			projectKey: "XY", wantKey: "XY",
			wantMsg: `get integrations (projectKey "XY"): HTTP 404: Jira knows no project "XY", or the user cannot see it: check the key in project_keys`,
		},
		{
			desc:       "404 without body",
			handler:    respond(http.StatusNotFound, noContentType, nil),
			projectKey: "XY", wantKey: "XY",
		},
		{
			desc:       "404 HTML page: the API is not there",
			handler:    respond(http.StatusNotFound, "text/html", []byte("<html><body>Not found</body></html>")),
			projectKey: "XY",
			wantMsg:    "Backbone's REST API was not found at",
		},
		{
			desc:       "404 HTML page without content type",
			handler:    respond(http.StatusNotFound, noContentType, []byte("<!DOCTYPE html><html></html>")),
			projectKey: "XY",
		},
		{
			desc:    "404 without project key",
			handler: respond(http.StatusNotFound, "application/json", []byte(`{}`)),
		},
		{
			desc:       "project without integrations",
			handler:    jsonOK([]byte(`[]`)),
			projectKey: "EMPTY", wantEmpty: true,
		},
		{
			desc:       "other failure",
			handler:    respond(http.StatusInternalServerError, "application/json", nil),
			projectKey: "XY",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			srv := serve(t, tt.handler)
			c, _ := newTestClient(t, srv.Client(), srv.URL)
			items, err := c.Integrations(t.Context(), tt.projectKey)
			key, ok := UnknownProject(err)
			assert.Equal(t, tt.wantKey, key)
			assert.Equal(t, tt.wantKey != "", ok)
			if tt.wantEmpty {
				require.NoError(t, err)
				assert.NotNil(t, items)
				assert.Empty(t, items)
				return
			}
			require.Error(t, err)
			if tt.wantMsg != "" {
				assert.Contains(t, err.Error(), tt.wantMsg)
			}
		})
	}
	key, ok := UnknownProject(nil)
	assert.False(t, ok)
	assert.Empty(t, key)
}

func reflectValue(p any) reflect.Value { return reflect.ValueOf(p).Elem() }
