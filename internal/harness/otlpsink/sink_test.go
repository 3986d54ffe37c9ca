package otlpsink

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
)

// logs is a request with a message record (file.path) and a state change.
func logs() plogotlp.ExportRequest {
	ld := plog.NewLogs()
	recs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	msg := recs.AppendEmpty()
	msg.SetEventName("backbone.message.error")
	msg.Attributes().PutStr("file.path", "/tree/a.bac")
	recs.AppendEmpty().SetEventName("backbone.integration.state_changed")
	return plogotlp.NewExportRequestFromLogs(ld)
}

func metrics() pmetricotlp.ExportRequest {
	md := pmetric.NewMetrics()
	md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty()
	return pmetricotlp.NewExportRequestFromMetrics(md)
}

func post(t *testing.T, url, contentType string, gzipped bool, body []byte) int {
	t.Helper()
	if gzipped {
		var b bytes.Buffer
		gz := gzip.NewWriter(&b)
		_, err := gz.Write(body)
		require.NoError(t, err)
		require.NoError(t, gz.Close())
		body = b.Bytes()
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	if gzipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}

func TestSink(t *testing.T) {
	var seen atomic.Int64 // data points the Metrics option saw
	s, err := Start(Options{Metrics: func(md pmetric.Metrics) { seen.Add(int64(md.DataPointCount())) }})
	require.NoError(t, err)
	t.Cleanup(s.Close)

	proto, err := logs().MarshalProto()
	require.NoError(t, err)
	jsonBody, err := logs().MarshalJSON()
	require.NoError(t, err)
	mproto, err := metrics().MarshalProto()
	require.NoError(t, err)

	assert.Equal(t, 200, post(t, s.URL+"/v1/logs", "application/x-protobuf", true, proto))
	assert.Equal(t, 200, post(t, s.URL+"/v1/metrics", "application/x-protobuf", false, mproto))
	s.SetDown(true)
	s.SetRun(2)
	assert.Equal(t, 503, post(t, s.URL+"/v1/logs", "application/json", false, jsonBody))
	assert.Equal(t, 503, post(t, s.URL+"/v1/metrics", "application/x-protobuf", false, mproto))
	s.SetDown(false)
	s.SetMaxBytes(len(jsonBody) - 1)
	assert.Equal(t, 413, post(t, s.URL+"/v1/logs", "application/json", false, jsonBody))
	assert.Equal(t, 404, post(t, s.URL+"/v1/traces", "application/x-protobuf", false, nil))

	key := "backbone.message.error /tree/a.bac"
	assert.Equal(t, map[string]int{key: 1}, s.Accepted())
	first, n := s.Arrival(key)
	assert.Equal(t, 1, n)
	assert.False(t, first.IsZero())
	assert.Equal(t, Counts{Records: 1, Others: 1, LogsAccepted: 1, LogsRefused: 2, MetricsAccepted: 1, MetricsRefused: 1, DataPoints: 1}, s.Counts())
	assert.Equal(t, int64(1), seen.Load())
	batches := s.Batches()
	require.Len(t, batches, 3)
	assert.Equal(t, []string{key}, batches[1].Keys, "a refused request's records are kept")
	assert.Equal(t, 2, batches[1].Run)
	assert.Equal(t, len(jsonBody), batches[2].Bytes)
}

func TestSinkHold(t *testing.T) {
	s, err := Start(Options{})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	proto, err := logs().MarshalProto()
	require.NoError(t, err)

	s.Hold()
	status := make(chan int)
	go func() {
		resp, err := http.Post(s.URL+"/v1/logs", "application/x-protobuf", bytes.NewReader(proto))
		if err != nil {
			status <- 0
			return
		}
		_ = resp.Body.Close()
		status <- resp.StatusCode
	}()
	select {
	case code := <-status:
		t.Fatalf("a held request was answered: %d", code)
	case <-time.After(200 * time.Millisecond):
	}
	s.Release()
	assert.Equal(t, 200, <-status)

	s.Hold()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/v1/logs", bytes.NewReader(proto))
	require.NoError(t, err)
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Eventually(t, func() bool { return s.Abandoned() == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, 1, s.Counts().LogsAccepted, "the abandoned request is not counted")
}
