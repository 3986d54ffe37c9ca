package backbonesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// APIPath is where Backbone's REST API lives under Jira's base URL.
const APIPath = "/plugins/servlet/backbone-issue-sync/api/1/"

// response is an answer built under the lock and written after it is released, so
// that slow writes never block the scenario.
type response struct {
	status      int
	contentType string
	body        []byte
}

// ServeHTTP answers like Jira: front-end faults first, then authentication, rate
// limiting, and the API itself.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	fault := s.fault
	s.mu.Unlock()

	switch fault {
	case FaultBadGateway:
		w.Header().Set("Server", "nginx")
		writeHTML(w, http.StatusBadGateway, badGatewayPage)
		return
	case FaultHang:
		s.hang(r)
	case FaultLoginPage:
		w.Header().Set("X-AUSERNAME", "anonymous")
		writeHTML(w, http.StatusOK, loginPage(s.baseURL(r)))
		return
	}

	s.mu.Lock()
	user, res := s.authenticate(r)
	if res != authOK {
		s.mu.Unlock()
		s.writeAuthFailure(w, r, res)
		return
	}
	h := w.Header()
	h.Set("X-Seraph-LoginReason", "OK")
	h.Set("X-AUSERNAME", user)
	quirks := s.quirks
	if s.bucket != nil {
		ok, wait := s.bucket.take(time.Now())
		s.bucket.setHeaders(h)
		if !ok {
			s.stats.RateLimited++
			s.mu.Unlock()
			h.Set("Retry-After", retryAfterSeconds(wait))
			s.write(w, r, FaultNone, quirks, jsonError(http.StatusTooManyRequests, "Rate limit exceeded."))
			return
		}
	}
	resp := s.route(r)
	s.mu.Unlock()
	if quirks.StatusLatency > 0 && strings.HasSuffix(r.URL.Path, "/status") {
		select {
		case <-time.After(quirks.StatusLatency):
		case <-r.Context().Done():
		}
	}
	s.write(w, r, fault, quirks, resp)
}

// route answers the API's two endpoints; callers hold s.mu.
func (s *Sim) route(r *http.Request) response {
	rest, ok := strings.CutPrefix(r.URL.Path, s.opts.ContextPath+APIPath)
	if !ok {
		return response{http.StatusNotFound, contentTypeHTML, []byte(errorPage(http.StatusNotFound, ""))}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return jsonError(http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed.")
	}
	if rest == "integrations" {
		return s.listIntegrations(r.URL.Query().Get("projectKey"))
	}
	if key, ok := strings.CutPrefix(rest, "integrations/"); ok {
		if key, ok := strings.CutSuffix(key, "/status"); ok && key != "" && !strings.Contains(key, "/") {
			return s.integrationStatus(key)
		}
	}
	return jsonError(http.StatusNotFound, "null for uri: "+r.URL.String())
}

func (s *Sim) listIntegrations(projectKey string) response {
	if projectKey != "" && !s.projectExists(projectKey) {
		return jsonError(http.StatusNotFound, fmt.Sprintf("No project could be found with key '%s'.", projectKey))
	}
	list := make([]integrationJSON, 0, len(s.integrations))
	for _, in := range s.integrations {
		if projectKey == "" || hasProject(in, projectKey) {
			list = append(list, s.integrationView(in))
		}
	}
	return jsonOK(list)
}

func (s *Sim) integrationStatus(key string) response {
	in := s.integration(key)
	if in == nil {
		return jsonError(http.StatusNotFound, fmt.Sprintf("Integration with key '%s' does not exist.", key))
	}
	if resp, failed := s.statusFailure(key); failed {
		return resp
	}
	return jsonOK(s.statusView(in))
}

func hasProject(in *integration, projectKey string) bool {
	for _, c := range in.connectors {
		if strings.EqualFold(c.spec.ProjectKey, projectKey) {
			return true
		}
	}
	return false
}

func jsonOK(v any) response {
	return response{http.StatusOK, contentTypeJSON, marshal(v)}
}

// jsonError is Jira's REST error: {"errorMessages":[...],"errors":{}}.
func jsonError(status int, msg string) response {
	return response{status, contentTypeJSON, marshal(errorJSON{ErrorMessages: []string{msg}, Errors: map[string]string{}})}
}

// marshal writes compact JSON without escaping <, > and &, as Jira's Jackson does
// ("Agile Project <> Project B").
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only our own types are encoded: a failure is a bug
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
