package backbonesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Quirks are ways a real Backbone may answer that the vendor's examples do not show,
// without being broken: a client that reads them as failures is too strict. Unlike a
// Fault, a quirk keeps the data.
type Quirks struct {
	// ContentType labels the API's JSON answers: ContentJSON (also the zero value),
	// ContentText, ContentNone or ContentOctetStream.
	ContentType ContentType
	// StatusFailure is the key of an integration that the list shows without its
	// status and whose integrations/{key}/status call fails with StatusFailureCode.
	StatusFailure string
	// StatusFailureCode is the HTTP status of that failure; 0 means 500.
	StatusFailureCode int
	// ChangedTypes writes some fields in another JSON type than the vendor's
	// examples: issuesInError and startTime as strings, online and reconnecting as
	// "true"/"false", and externalRouteStatus as a number, which no client can read.
	ChangedTypes bool
	// ListWithoutStatus lists every integration without its status, as Backbone 4.x
	// does: each then needs its own integrations/{key}/status call.
	ListWithoutStatus bool
	// StatusLatency delays each integrations/{key}/status answer, as a Jira under load.
	StatusLatency time.Duration
}

// ContentType is a label the Sim puts on its JSON answers.
type ContentType string

// The labels of Quirks.ContentType.
const (
	ContentJSON        ContentType = "json"         // application/json;charset=UTF-8, as Jira's REST
	ContentText        ContentType = "text"         // text/plain;charset=UTF-8
	ContentNone        ContentType = "none"         // no Content-Type header at all
	ContentOctetStream ContentType = "octet-stream" // application/octet-stream
)

var contentTypeHeaders = map[ContentType]string{
	"":                 contentTypeJSON,
	ContentJSON:        contentTypeJSON,
	ContentText:        "text/plain;charset=UTF-8",
	ContentNone:        "",
	ContentOctetStream: "application/octet-stream",
}

// ParseContentType reads a label as the constants spell it ("text", "none", ...).
func ParseContentType(name string) (ContentType, error) {
	ct := ContentType(strings.ToLower(strings.TrimSpace(name)))
	if _, ok := contentTypeHeaders[ct]; !ok || ct == "" {
		return "", fmt.Errorf("unknown content type %q (one of json, text, none, octet-stream)", name)
	}
	return ct, nil
}

// ParseStatusFailure reads "KEY" or "KEY:CODE" into a Quirks' StatusFailure and
// StatusFailureCode.
func ParseStatusFailure(s string) (key string, code int, err error) {
	key, codeText, hasCode := strings.Cut(strings.TrimSpace(s), ":")
	if key == "" {
		return "", 0, fmt.Errorf("status failure %q: an integration key is needed, e.g. INT-17 or INT-17:404", s)
	}
	if hasCode {
		code, err = strconv.Atoi(codeText)
		if err != nil || code < 400 || code > 599 {
			return "", 0, fmt.Errorf("status failure %q: the code must be an HTTP error status, 400 to 599", s)
		}
	}
	return key, code, nil
}

// SetQuirks changes the quirks of every following answer.
func (s *Sim) SetQuirks(q Quirks) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quirks = q
}

// statusFailure is the answer of a status call the quirks make fail, if any; callers
// hold s.mu.
func (s *Sim) statusFailure(key string) (response, bool) {
	if s.quirks.StatusFailure == "" || s.quirks.StatusFailure != key {
		return response{}, false
	}
	code := s.quirks.StatusFailureCode
	if code == 0 {
		code = http.StatusInternalServerError
	}
	msg := "Internal server error"
	if code != http.StatusInternalServerError {
		msg = http.StatusText(code)
	}
	return jsonError(code, msg), true
}

// retype rewrites the fields ChangedTypes names, wherever they occur.
func retype(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return body
	}
	return marshal(retypeValue(v))
}

func retypeValue(v any) any {
	switch t := v.(type) {
	case []any:
		for i := range t {
			t[i] = retypeValue(t[i])
		}
	case map[string]any:
		for k, x := range t {
			switch x := x.(type) {
			case json.Number:
				if k == "issuesInError" || k == "startTime" {
					t[k] = x.String()
				}
			case bool:
				if k == "online" || k == "reconnecting" {
					t[k] = strconv.FormatBool(x)
				}
			case string:
				if k == "externalRouteStatus" {
					t[k] = routeNumber(x)
				}
			default:
				t[k] = retypeValue(x)
			}
		}
	}
	return v
}

// routeNumber stands for a state sent as an enum's ordinal.
func routeNumber(state string) int {
	if state == routeStarted {
		return 1
	}
	return 0
}
