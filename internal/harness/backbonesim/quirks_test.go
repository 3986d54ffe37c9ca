package backbonesim

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuirkContentType(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	_, plain := get(t, t.Context(), base, "integrations", goodAuth)
	tests := []struct {
		desc string
		ct   ContentType
		want []string // Content-Type header values
	}{
		{desc: "json", ct: ContentJSON, want: []string{"application/json;charset=UTF-8"}},
		{desc: "text", ct: ContentText, want: []string{"text/plain;charset=UTF-8"}},
		{desc: "none", ct: ContentNone},
		{desc: "octet-stream", ct: ContentOctetStream, want: []string{"application/octet-stream"}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s.SetQuirks(Quirks{ContentType: tt.ct})
			for _, path := range []string{"integrations", "integrations/INT-17/status", "integrations?projectKey=NOPE"} {
				resp, body := get(t, t.Context(), base, path, goodAuth)
				assert.Equal(t, tt.want, resp.Header.Values("Content-Type"), path)
				assert.True(t, json.Valid(body), path)
				if path == "integrations" {
					assert.Equal(t, string(plain), string(body), "the same data")
				}
			}
			resp, _ := get(t, t.Context(), base, "integrations", basicAuth(testUser, "wrong"))
			assert.Equal(t, []string{contentTypeHTML}, resp.Header.Values("Content-Type"), "Jira's own pages stay HTML")
		})
	}
}

func TestQuirkStatusFailure(t *testing.T) {
	tests := []struct {
		desc     string
		code     int
		wantCode int
	}{
		{desc: "server error by default", wantCode: http.StatusInternalServerError},
		{desc: "not found", code: http.StatusNotFound, wantCode: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newSim(t, Options{Quirks: Quirks{StatusFailure: "INT-17", StatusFailureCode: tt.code}})
			base := serve(t, s)
			list := getJSON(t, t.Context(), base, "integrations").([]any)
			withStatus := map[string]bool{}
			for _, v := range list {
				in := v.(map[string]any)
				_, ok := in["status"]
				withStatus[in["integrationKey"].(string)] = ok
			}
			assert.Equal(t, map[string]bool{"INT-15": true, "INT-16": true, "INT-17": false}, withStatus)
			resp, body := get(t, t.Context(), base, "integrations/INT-17/status", goodAuth)
			assert.Equal(t, tt.wantCode, resp.StatusCode)
			assert.Contains(t, string(body), `"errorMessages"`)
			resp, _ = get(t, t.Context(), base, "integrations/INT-16/status", goodAuth)
			assert.Equal(t, http.StatusOK, resp.StatusCode, "the others answer")

			s.SetQuirks(Quirks{})
			resp, _ = get(t, t.Context(), base, "integrations/INT-17/status", goodAuth)
			assert.Equal(t, http.StatusOK, resp.StatusCode, "healed")
		})
	}
}

// Backbone 4.x lists integrations without their status; each status call may be slow.
func TestQuirkListWithoutStatus(t *testing.T) {
	s := newSim(t, Options{Quirks: Quirks{ListWithoutStatus: true, StatusLatency: 50 * time.Millisecond}})
	base := serve(t, s)
	list := getJSON(t, t.Context(), base, "integrations").([]any)
	require.Len(t, list, 3)
	for _, v := range list {
		_, ok := v.(map[string]any)["status"]
		assert.False(t, ok)
	}
	start := time.Now()
	resp, _ := get(t, t.Context(), base, "integrations/INT-17/status", goodAuth)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
}

func TestQuirkChangedTypes(t *testing.T) {
	s := newSim(t, Options{Quirks: Quirks{ChangedTypes: true}})
	base := serve(t, s)
	c := connectorStatus(t, t.Context(), base, "INT-17", false)
	assert.Equal(t, "true", c["online"])
	assert.Equal(t, "false", c["reconnecting"])
	assert.Equal(t, "0", c["issuesInError"])
	assert.Equal(t, "1484063311400", c["startTime"])
	assert.Equal(t, 1.0, c["externalRouteStatus"])
	assert.Equal(t, "STARTED", c["incomingRouteStatus"], "other fields as they were")

	list := getJSON(t, t.Context(), base, "integrations").([]any)
	first := list[0].(map[string]any)
	assert.Equal(t, "true", first["status"].(map[string]any)["firstConnector"].(map[string]any)["online"])
	assert.Equal(t, 1000.0, first["firstConnector"].(map[string]any)["connection"].(map[string]any)["connector"].(map[string]any)["internalPollingInterval"], "configuration as it was")

	resp, body := get(t, t.Context(), base, "integrations?projectKey=NOPE", goodAuth)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.JSONEq(t, `{"errorMessages":["No project could be found with key 'NOPE'."],"errors":{}}`, string(body), "errors as they were")
}

func TestDetails(t *testing.T) {
	s := newSim(t, Options{Details: map[string]string{"PB-30": "Partner not reachable"}})
	base := serve(t, s)
	c := connectorStatus(t, t.Context(), base, "INT-16", true)
	assert.Equal(t, "Partner not reachable", c["outgoingDetails"])
	assert.Equal(t, "", c["incomingDetails"])

	require.NoError(t, s.SetDetails("PB-30", "Queue full", ""))
	c = connectorStatus(t, t.Context(), base, "INT-16", true)
	assert.Equal(t, "", c["outgoingDetails"])
	assert.Equal(t, "Queue full", c["incomingDetails"])
	assert.Equal(t, "Queue full", connectorState(t, s, "PB-30").IncomingDetails)
	assert.Error(t, s.SetDetails("XX-1", "", ""))

	_, err := New(Options{Dir: t.TempDir(), Details: map[string]string{"XX-1": "x"}})
	assert.ErrorContains(t, err, `unknown connector "XX-1"`)
}

func TestUnexpectedSubfolder(t *testing.T) {
	s := newSim(t, Options{UnexpectedSubfolder: true})
	held := filepath.Join(s.Dir(), "default", "INT-16", "PB-30", "RECEIVE", "sequence-error", "held")
	names, err := files(held)
	require.NoError(t, err)
	require.Len(t, names, 1)
	assert.Equal(t, 1, connectorState(t, s, "PB-30").Files[FolderSequenceError], "counted with its folder")
	for range 5 {
		require.NoError(t, s.Step())
	}
	_, err = os.Stat(filepath.Join(held, names[0]))
	assert.NoError(t, err, "the scenario leaves it there")

	_, err = New(Options{Dir: t.TempDir(), Empty: true, UnexpectedSubfolder: true})
	assert.ErrorContains(t, err, "needs the default installation")
}

func TestParseQuirks(t *testing.T) {
	tests := []struct {
		desc     string
		in       string
		wantKey  string
		wantCode int
		wantErr  bool
	}{
		{desc: "key", in: "INT-17", wantKey: "INT-17"},
		{desc: "key and code", in: "INT-17:404", wantKey: "INT-17", wantCode: 404},
		{desc: "no key", in: ":500", wantErr: true},
		{desc: "not an error status", in: "INT-17:200", wantErr: true},
		{desc: "not a number", in: "INT-17:x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			key, code, err := ParseStatusFailure(tt.in)
			assert.Equal(t, tt.wantErr, err != nil, err)
			assert.Equal(t, tt.wantKey, key)
			assert.Equal(t, tt.wantCode, code)
		})
	}
	for _, name := range []string{"json", "TEXT", "none", "octet-stream"} {
		_, err := ParseContentType(name)
		assert.NoError(t, err, name)
	}
	for _, name := range []string{"", "xml"} {
		_, err := ParseContentType(name)
		assert.Error(t, err, name)
	}
	_, err := New(Options{Dir: t.TempDir(), Quirks: Quirks{ContentType: "xml"}})
	assert.ErrorContains(t, err, "Quirks.ContentType")
}
