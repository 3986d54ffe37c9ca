package backbonesim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// How FaultSlow trickles: slowChunk bytes every slowInterval.
const (
	slowChunk    = 16
	slowInterval = 100 * time.Millisecond
)

// write sends resp with the quirks, spoilt by fault when it is one of Jira's own
// faults.
func (s *Sim) write(w http.ResponseWriter, r *http.Request, fault Fault, q Quirks, resp response) {
	isJSON := resp.contentType == contentTypeJSON
	if isJSON && q.ChangedTypes && resp.status == http.StatusOK {
		resp.body = retype(resp.body)
	}
	switch fault {
	case FaultServerError:
		resp = jsonError(http.StatusInternalServerError, "Internal server error")
	case FaultMalformedJSON:
		if resp.contentType == contentTypeJSON {
			resp.body = malform(resp.body)
		}
	case FaultWrongShape:
		if resp.contentType == contentTypeJSON {
			resp.body = reshape(resp.body)
		}
	}
	h := w.Header()
	switch ct := resp.contentType; {
	case isJSON && contentTypeHeaders[q.ContentType] == "":
		h["Content-Type"] = nil // no header, and none sniffed
	case isJSON:
		h.Set("Content-Type", contentTypeHeaders[q.ContentType])
	default:
		h.Set("Content-Type", ct)
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	if r.Method == http.MethodHead {
		return
	}
	switch fault {
	case FaultTruncated:
		_, _ = w.Write(resp.body[:len(resp.body)/2])
		_ = http.NewResponseController(w).Flush()
		// Dropping the connection short of Content-Length is what a dying proxy does.
		panic(http.ErrAbortHandler)
	case FaultSlow:
		s.trickle(w, r, resp.body)
	default:
		_, _ = w.Write(resp.body)
	}
}

// trickle writes body slowly; it gives up when the client does or the Sim closes.
func (s *Sim) trickle(w http.ResponseWriter, r *http.Request, body []byte) {
	rc := http.NewResponseController(w)
	t := time.NewTimer(slowInterval)
	defer t.Stop()
	for off := 0; off < len(body); off += slowChunk {
		if _, err := w.Write(body[off:min(off+slowChunk, len(body))]); err != nil {
			return
		}
		_ = rc.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			panic(http.ErrAbortHandler)
		case <-t.C:
			t.Reset(slowInterval)
		}
	}
}

// hang holds the request until the client gives up or the Sim closes, then drops the
// connection without an answer.
func (s *Sim) hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.done:
	}
	panic(http.ErrAbortHandler)
}

// malform breaks JSON in its middle: a decoder that stops after the first value still
// notices.
func malform(body []byte) []byte {
	if i := bytes.Index(body, []byte(`":`)); i >= 0 {
		out := append([]byte(nil), body[:i+1]...)
		out = append(out, ' ')
		return append(out, body[i+2:]...)
	}
	return []byte(`[{"integrationKey":]`)
}

// reshape keeps the data but not its shape: a list comes wrapped in an object, and
// every number turns into a string.
func reshape(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return body
	}
	if list, ok := v.([]any); ok {
		v = map[string]any{"size": json.Number(strconv.Itoa(len(list))), "values": list}
	}
	return marshal(numbersToStrings(v))
}

func numbersToStrings(v any) any {
	switch t := v.(type) {
	case json.Number:
		return t.String()
	case []any:
		for i := range t {
			t[i] = numbersToStrings(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = numbersToStrings(t[k])
		}
	}
	return v
}
