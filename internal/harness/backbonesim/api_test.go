package backbonesim

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The default installation, with INT-16 stopped as in the vendor's example, must answer
// the vendor's example byte for byte once decoded.
func TestIntegrationsMatchVendorExample(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	require.NoError(t, s.SetIntegrationStatus("INT-16", StatusStopped))

	got := getJSON(t, t.Context(), base, "integrations").([]any)
	byKey := map[string]any{}
	var keys []string
	for _, v := range got {
		key := v.(map[string]any)["integrationKey"].(string)
		byKey[key] = v
		keys = append(keys, key)
	}
	assert.Equal(t, []string{"INT-16", "INT-15", "INT-17"}, keys)
	for _, want := range readJSONFile(t, "vendor_integrations.json").([]any) {
		key := want.(map[string]any)["integrationKey"].(string)
		assert.Equal(t, want, byKey[key], key)
	}
}

func TestStatusMatchesVendorExample(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	assert.Equal(t, readJSONFile(t, "vendor_status.json"), getJSON(t, t.Context(), base, "integrations/INT-17/status"))
}

func TestIntegrationsProjectKeyFilter(t *testing.T) {
	s := newSim(t, Options{Projects: []string{"HR"}})
	base := serve(t, s)
	tests := []struct {
		desc       string
		projectKey string
		wantStatus int
		wantKeys   []string
	}{
		{desc: "no filter", wantStatus: http.StatusOK, wantKeys: []string{"INT-16", "INT-15", "INT-17"}},
		{desc: "project in two integrations", projectKey: "AP", wantStatus: http.StatusOK, wantKeys: []string{"INT-16", "INT-17"}},
		{desc: "second connector's project", projectKey: "PB", wantStatus: http.StatusOK, wantKeys: []string{"INT-16"}},
		{desc: "distributed", projectKey: "SP", wantStatus: http.StatusOK, wantKeys: []string{"INT-15"}},
		{desc: "lower case", projectKey: "ssd", wantStatus: http.StatusOK, wantKeys: []string{"INT-17"}},
		{desc: "project without integration", projectKey: "HR", wantStatus: http.StatusOK, wantKeys: []string{}},
		{desc: "default project without integration", projectKey: "DEMO", wantStatus: http.StatusOK, wantKeys: []string{}},
		{desc: "unknown project", projectKey: "NOPE", wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			resp, body := get(t, t.Context(), base, "integrations?projectKey="+tt.projectKey, goodAuth)
			require.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
			assert.Equal(t, "application/json;charset=UTF-8", resp.Header.Get("Content-Type"))
			if tt.wantStatus != http.StatusOK {
				assert.JSONEq(t, `{"errorMessages":["No project could be found with key '`+tt.projectKey+`'."],"errors":{}}`, string(body))
				return
			}
			var list []struct {
				IntegrationKey string `json:"integrationKey"`
			}
			require.NoError(t, json.Unmarshal(body, &list))
			keys := []string{}
			for _, in := range list {
				keys = append(keys, in.IntegrationKey)
			}
			assert.Equal(t, tt.wantKeys, keys)
			assert.NotEqual(t, "null", string(body))
		})
	}
}

func TestIntegrationStatusEndpoint(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	tests := []struct {
		desc       string
		path       string
		wantStatus int
		wantType   string
		check      func(t *testing.T, body []byte)
	}{
		{
			desc: "distributed has one connector", path: "integrations/INT-15/status",
			wantStatus: http.StatusOK, wantType: contentTypeJSON,
			check: func(t *testing.T, body []byte) {
				var v map[string]any
				require.NoError(t, json.Unmarshal(body, &v))
				assert.Equal(t, "RUNNING", v["status"])
				assert.Equal(t, "SP-28", v["firstConnector"].(map[string]any)["connectorKey"])
				assert.EqualValues(t, 1484063311224, v["firstConnector"].(map[string]any)["startTime"])
				assert.NotContains(t, v, "secondConnector")
			},
		},
		{
			desc: "unknown integration", path: "integrations/INT-99/status",
			wantStatus: http.StatusNotFound, wantType: contentTypeJSON,
			check: func(t *testing.T, body []byte) {
				assert.JSONEq(t, `{"errorMessages":["Integration with key 'INT-99' does not exist."],"errors":{}}`, string(body))
			},
		},
		{desc: "no key", path: "integrations//status", wantStatus: http.StatusNotFound, wantType: contentTypeJSON},
		{desc: "unknown resource", path: "health", wantStatus: http.StatusNotFound, wantType: contentTypeJSON},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			resp, body := get(t, t.Context(), base, tt.path, goodAuth)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, tt.wantType, resp.Header.Get("Content-Type"))
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
}

func TestSuccessHeaders(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	resp, body := get(t, t.Context(), base, "integrations", goodAuth)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json;charset=UTF-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "OK", resp.Header.Get("X-Seraph-LoginReason"))
	assert.Equal(t, testUser, resp.Header.Get("X-AUSERNAME"))
	assert.Empty(t, resp.Header.Get("X-RateLimit-Limit"), "no rate limit headers unless enabled")
	assert.Contains(t, string(body), `"summary":"Agile Project <> Project B"`, "no HTML escaping, as Jira")
}

func TestContextPath(t *testing.T) {
	s := newSim(t, Options{ContextPath: "jira/"})
	base := serve(t, s)
	require.Regexp(t, `/jira$`, base)

	resp, _ := get(t, t.Context(), base, "integrations", goodAuth)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	resp, _ = get(t, t.Context(), base[:len(base)-len("/jira")], "integrations", goodAuth)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, contentTypeHTML, resp.Header.Get("Content-Type"))
}

func TestMethodNotAllowed(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+APIPath+"integrations", nil)
	require.NoError(t, err)
	goodAuth(req)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestStartAndClose(t *testing.T) {
	s := newSim(t, Options{ContextPath: "/jira"})
	base, err := s.Start("127.0.0.1:0")
	require.NoError(t, err)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/jira$`, base)
	_, err = s.Start("127.0.0.1:0")
	assert.Error(t, err, "second Start")

	resp, _ := get(t, t.Context(), base, "integrations", goodAuth)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	require.NoError(t, s.Close())
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+APIPath+"integrations", nil)
	require.NoError(t, err)
	_, err = http.DefaultClient.Do(req)
	assert.Error(t, err, "closed")
	_, err = s.Start("127.0.0.1:0")
	assert.Error(t, err, "Start after Close")
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		desc string
		opts Options
		want string
	}{
		{desc: "no dir", opts: Options{}, want: `"Dir" must be specified`},
		{desc: "short cycle", opts: Options{Dir: t.TempDir(), Cycle: 5}, want: `"Cycle" must be at least 20`},
		{desc: "negative speed", opts: Options{Dir: t.TempDir(), Speed: -1}, want: `"Speed" must be positive`},
		{desc: "negative rate", opts: Options{Dir: t.TempDir(), RateLimit: RateLimit{PerSecond: -1}}, want: `"RateLimit" must not be negative`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := New(tt.opts)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}
