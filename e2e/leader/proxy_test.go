package leader

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// countingProxy serves the simulator's API to one collector and counts its calls.
type countingProxy struct {
	url   string
	calls atomic.Int64
}

func newCountingProxy(t *testing.T, api http.Handler) *countingProxy {
	t.Helper()
	p := &countingProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}
