package backboneapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// ErrorKind classifies a failed call so callers can count and react to it
// without parsing messages.
type ErrorKind string

// The kinds of Error.
const (
	KindAuth        ErrorKind = "auth"         // credentials rejected, login page or CAPTCHA
	KindForbidden   ErrorKind = "forbidden"    // logged in but not allowed
	KindNotFound    ErrorKind = "not_found"    // unknown project, integration or API path
	KindRateLimited ErrorKind = "rate_limited" // HTTP 429, or no token of Jira's rate limit left in time
	KindTimeout     ErrorKind = "timeout"      // no answer in time
	KindConnection  ErrorKind = "connection"   // DNS, TCP, TLS or other transport failure
	KindServerError ErrorKind = "server_error" // 5xx or another unexpected status
	KindDecode      ErrorKind = "decode"       // the body is not the JSON expected
	KindRedirect    ErrorKind = "redirect"     // redirected to a login page (SSO) or another host, not followed
)

// Error is a failed call to the Backbone API. A skipped call returns a copy of
// the failure that made the client hold back, with its own Op.
type Error struct {
	Kind       ErrorKind
	Op         string    // what was attempted, e.g. `get integrations (projectKey "AP")`
	StatusCode int       // 0 when no response
	Reason     string    // Jira's login reason header value(s) or a short detail
	RetryAt    time.Time // when the client will call the server again; zero when it is not holding back
	Skipped    bool      // the call did not reach the server because the client is holding back
	Err        error     // the cause, if any

	msg            string // full description written by the client; Error falls back to a generic one
	page           bool   // a 404 answered with an HTML page: a path Jira does not serve
	unknownProject string // the projectKey Jira answered 404 for
}

// Error returns one sentence that says what failed and what to do about it.
// It never contains credentials: request URLs carry no userinfo.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Skipped {
		b.WriteString("skipped, no request sent")
		if !e.RetryAt.IsZero() {
			fmt.Fprintf(&b, " before %s", formatTime(e.RetryAt))
		}
		b.WriteString(" because of an earlier failure: ")
	}
	b.WriteString(e.describe())
	if !e.Skipped && !e.RetryAt.IsZero() {
		switch e.Kind {
		case KindAuth:
			fmt.Fprintf(&b, "; Jira locks the account after repeated failed logins, so the client waits until %s before trying again", formatTime(e.RetryAt))
		default:
			fmt.Fprintf(&b, "; the client waits until %s before calling Jira again, as Jira asked", formatTime(e.RetryAt))
		}
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) describe() string {
	if e.msg != "" {
		return e.msg
	}
	var b strings.Builder
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "HTTP %d: ", e.StatusCode)
	}
	switch e.Kind {
	case KindAuth:
		b.WriteString("authentication failed")
	case KindForbidden:
		b.WriteString("access denied")
	case KindNotFound:
		b.WriteString("not found")
	case KindRateLimited:
		b.WriteString("rate limited by Jira")
	case KindTimeout:
		b.WriteString("no answer from Jira in time")
	case KindConnection:
		b.WriteString("cannot reach Jira")
	case KindServerError:
		b.WriteString("server error")
	case KindDecode:
		b.WriteString("the response is not the expected JSON")
	case KindRedirect:
		b.WriteString("redirected, not followed")
	default:
		b.WriteString("request failed")
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// UnknownProject tells whether err is Jira's answer that it knows no project
// of the key a projectKey query asked for (HTTP 404 to the integrations
// list, not as an HTML page, which rather means the API is not there), and
// returns that key. The other keys of a configuration can go on. A project
// without integrations is not an error: its list is empty.
func UnknownProject(err error) (projectKey string, ok bool) {
	e, ok := errors.AsType[*Error](err)
	if !ok || e.unknownProject == "" {
		return "", false
	}
	return e.unknownProject, true
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// KindOf returns the kind of err: "" for nil, the Kind of a wrapped *Error,
// KindTimeout for deadlines and network timeouts, else KindConnection.
func KindOf(err error) ErrorKind {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	if isTimeout(err) {
		return KindTimeout
	}
	return KindConnection
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}
