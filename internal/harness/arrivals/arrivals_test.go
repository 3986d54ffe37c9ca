package arrivals

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

func post(t *testing.T, url string, body []byte, gzipped bool) {
	t.Helper()
	if gzipped {
		var b bytes.Buffer
		gz := gzip.NewWriter(&b)
		_, err := gz.Write(body)
		require.NoError(t, err)
		require.NoError(t, gz.Close())
		body = b.Bytes()
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-protobuf")
	if gzipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestSinkNotesFirstArrivalAndCount(t *testing.T) {
	s, err := Start()
	require.NoError(t, err)
	defer s.Close()

	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName("backbone.message.error")
	lr.Attributes().PutStr("file.path", "/t/e.bac")
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	require.NoError(t, err)

	post(t, s.URL+"/v1/logs", body, false)
	first, n := s.Arrival(Key("backbone.message.error", "/t/e.bac"))
	assert.Equal(t, 1, n)
	post(t, s.URL+"/v1/logs", body, true)
	again, n := s.Arrival(Key("backbone.message.error", "/t/e.bac"))
	assert.Equal(t, 2, n)
	assert.Equal(t, first, again, "the first arrival is kept")
	assert.Equal(t, map[string]int{Key("backbone.message.error", "/t/e.bac"): 2}, s.Repeated())

	post(t, s.URL+"/v1/metrics", nil, false)
	assert.Equal(t, 1, s.MetricsRequests())
}
