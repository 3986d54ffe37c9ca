package backbonesim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultsAnsweringAtOnce(t *testing.T) {
	tests := []struct {
		desc       string
		fault      Fault
		path       string
		wantStatus int
		wantType   string
		wantSeraph string
		check      func(t *testing.T, body []byte)
	}{
		{
			desc: "none", fault: FaultNone, path: "integrations",
			wantStatus: http.StatusOK, wantType: contentTypeJSON, wantSeraph: "OK",
			check: func(t *testing.T, body []byte) { assert.True(t, json.Valid(body)) },
		},
		{
			desc: "login page", fault: FaultLoginPage, path: "integrations",
			wantStatus: http.StatusOK, wantType: contentTypeHTML,
			check: func(t *testing.T, body []byte) { assert.Contains(t, string(body), `id="login-form"`) },
		},
		{
			desc: "server error", fault: FaultServerError, path: "integrations",
			wantStatus: http.StatusInternalServerError, wantType: contentTypeJSON, wantSeraph: "OK",
			check: func(t *testing.T, body []byte) {
				assert.JSONEq(t, `{"errorMessages":["Internal server error"],"errors":{}}`, string(body))
			},
		},
		{
			desc: "bad gateway", fault: FaultBadGateway, path: "integrations",
			wantStatus: http.StatusBadGateway, wantType: contentTypeHTML,
			check: func(t *testing.T, body []byte) { assert.Contains(t, string(body), "502 Bad Gateway") },
		},
		{
			desc: "malformed list", fault: FaultMalformedJSON, path: "integrations",
			wantStatus: http.StatusOK, wantType: contentTypeJSON, wantSeraph: "OK",
			check: func(t *testing.T, body []byte) {
				assert.False(t, json.Valid(body))
				var v any
				assert.Error(t, json.NewDecoder(strings.NewReader(string(body))).Decode(&v), "a streaming decoder notices too")
			},
		},
		{
			desc: "malformed status", fault: FaultMalformedJSON, path: "integrations/INT-16/status",
			wantStatus: http.StatusOK, wantType: contentTypeJSON, wantSeraph: "OK",
			check: func(t *testing.T, body []byte) { assert.False(t, json.Valid(body)) },
		},
		{
			desc: "wrong shape list", fault: FaultWrongShape, path: "integrations",
			wantStatus: http.StatusOK, wantType: contentTypeJSON, wantSeraph: "OK",
			check: func(t *testing.T, body []byte) {
				var v map[string]any
				require.NoError(t, json.Unmarshal(body, &v), "an object, not an array")
				values := v["values"].([]any)
				require.Len(t, values, 3)
				first := values[0].(map[string]any)["status"].(map[string]any)["firstConnector"].(map[string]any)
				assert.Equal(t, "0", first["issuesInError"])
				var list []map[string]any
				assert.Error(t, json.Unmarshal(body, &list))
			},
		},
		{
			desc: "wrong shape status", fault: FaultWrongShape, path: "integrations/INT-15/status",
			wantStatus: http.StatusOK, wantType: contentTypeJSON, wantSeraph: "OK",
			check: func(t *testing.T, body []byte) {
				var v map[string]any
				require.NoError(t, json.Unmarshal(body, &v))
				first := v["firstConnector"].(map[string]any)
				assert.Equal(t, "1484063311224", first["startTime"])
				assert.Equal(t, "0", first["issuesInError"])
				assert.Equal(t, true, first["online"], "booleans stay")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newSim(t, Options{})
			base := serve(t, s)
			s.SetFault(tt.fault)
			resp, body := get(t, t.Context(), base, tt.path, goodAuth)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, tt.wantType, resp.Header.Get("Content-Type"))
			assert.Equal(t, tt.wantSeraph, resp.Header.Get("X-Seraph-LoginReason"))
			tt.check(t, body)

			s.SetFault(FaultNone)
			resp, _ = get(t, t.Context(), base, tt.path, goodAuth)
			assert.Equal(t, http.StatusOK, resp.StatusCode, "healed")
		})
	}
}

func TestFaultsBeforeAuthentication(t *testing.T) {
	for _, f := range []Fault{FaultLoginPage, FaultBadGateway} {
		t.Run(f.String(), func(t *testing.T) {
			s := newSim(t, Options{})
			base := serve(t, s)
			s.SetFault(f)
			resp, _ := get(t, t.Context(), base, "integrations", basicAuth(testUser, "wrong"))
			assert.NotEqual(t, http.StatusUnauthorized, resp.StatusCode)
			assert.Zero(t, s.Stats().FailedLogins)
		})
	}
}

func TestFaultTruncated(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	_, full := get(t, t.Context(), base, "integrations", goodAuth)
	s.SetFault(FaultTruncated)

	resp := do(t, t.Context(), base+APIPath+"integrations")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.NotEmpty(t, body)
	assert.Less(t, len(body), len(full))
	assert.Equal(t, string(full[:len(body)]), string(body), "a valid start")
}

func TestFaultHang(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	s.SetFault(FaultHang)

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+APIPath+"integrations", nil)
	require.NoError(t, err)
	goodAuth(req)
	_, err = http.DefaultClient.Do(req)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	// A request without deadline is released by Close.
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+APIPath+"integrations", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = errors.New("got an answer")
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, s.Close())
	select {
	case err := <-done:
		assert.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the hanging request")
	}
}

func TestFaultSlow(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	_, full := get(t, t.Context(), base, "integrations", goodAuth)
	s.SetFault(FaultSlow)

	ctx, cancel := context.WithTimeout(t.Context(), 350*time.Millisecond)
	defer cancel()
	start := time.Now()
	resp := do(t, ctx, base+APIPath+"integrations")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "headers come at once")
	body, err := io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotEmpty(t, body)
	assert.Less(t, len(body), len(full))
	assert.Equal(t, string(full[:len(body)]), string(body))
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestParseFault(t *testing.T) {
	for f := FaultNone; f <= FaultWrongShape; f++ {
		got, err := ParseFault(f.String())
		require.NoError(t, err)
		assert.Equal(t, f, got)
	}
	got, err := ParseFault("BAD_GATEWAY")
	require.NoError(t, err)
	assert.Equal(t, FaultBadGateway, got)
	_, err = ParseFault("meteor")
	assert.Error(t, err)
	assert.Equal(t, "Fault(99)", Fault(99).String())
}

// do sends an authenticated GET and returns the response with its body unread.
func do(t *testing.T, ctx context.Context, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	goodAuth(req)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	return resp
}
