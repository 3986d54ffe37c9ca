package backboneapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// bodyTransport answers every request with the same JSON body, without a network.
type bodyTransport []byte

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(b)),
		Request:    r,
	}, nil
}

func fixtureSeeds(f *testing.F) [][]byte {
	f.Helper()
	names, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "testdata", "api", "*.json"))
	require.NoError(f, err)
	require.NotEmpty(f, names)
	var seeds [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		require.NoError(f, err)
		seeds = append(seeds, b)
	}
	return seeds
}

func FuzzDecodeIntegrations(f *testing.F) {
	for _, s := range fixtureSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte("[{\"integrationKey\":\"\xff\"}]"))
	f.Add([]byte(`[null, 1, "x", {"status": {"firstConnector": {"issuesInError": 1e400}}}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := NewClient(&http.Client{Transport: bodyTransport(body)}, Config{Endpoint: "http://jira", MaxBodyBytes: 1 << 20})
		items, err := c.Integrations(t.Context(), "")
		if err == nil {
			require.NotNil(t, items)
			if len(items) > 0 {
				// A null added sends the list element by element: the same integrations.
				withNull := append(bytes.TrimSuffix(bytes.TrimSpace(body), []byte("]")), ",null]"...)
				var l integrationList
				require.NoError(t, decodeLenient(withNull, &l))
				require.Equal(t, items, l.items)
				require.Len(t, l.bad, 1)
			}
		} else {
			require.Equal(t, KindDecode, KindOf(err))
			require.NotEmpty(t, err.Error())
		}
		for i := range items {
			for _, cs := range items[i].Status.Connectors() {
				_ = items[i].ProjectKey(cs.ConnectorKey)
				_ = NormalizeState(cs.IncomingRouteStatus)
			}
		}
		st, err := c.IntegrationStatus(t.Context(), "INT-1")
		if err == nil {
			require.NotNil(t, st)
		} else {
			require.Equal(t, KindDecode, KindOf(err))
		}
	})
}

// fixtureStates returns every string value of a "...status" key in the fixtures.
func fixtureStates(f *testing.F) []string {
	f.Helper()
	var states []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && strings.HasSuffix(strings.ToLower(k), "status") {
					states = append(states, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, b := range fixtureSeeds(f) {
		var v any
		if json.Unmarshal(b, &v) == nil {
			walk(v)
		}
	}
	return states
}
