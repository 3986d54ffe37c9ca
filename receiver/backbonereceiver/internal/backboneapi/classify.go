package backboneapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Jira's login outcome headers; a failed login is not always a 401.
const (
	headerLoginReason  = "X-Seraph-LoginReason"
	headerDeniedReason = "X-Authentication-Denied-Reason"
)

const checkCredentials = "check username/password or token"

// classify turns a response that must not be decoded into an *Error.
func (c *Client) classify(op string, resp *http.Response) *Error {
	code := resp.StatusCode
	e := &Error{Op: op, StatusCode: code, Reason: http.StatusText(code)}
	if reason, shown := loginReason(resp.Header); reason != "" {
		e.Kind, e.Reason = KindAuth, reason
		if strings.Contains(strings.ToUpper(reason), "CAPTCHA") {
			e.msg = fmt.Sprintf("HTTP %d: Jira demands a CAPTCHA for this account (%s): correct the password or token if it is wrong, then someone must log in once as this user through the browser to clear it", code, shown)
		} else {
			e.msg = fmt.Sprintf("HTTP %d: authentication failed (%s): %s", code, shown, c.credentialHint())
		}
		return e
	}
	switch {
	case code >= 300 && code <= 399 && resp.Header.Get("Location") != "":
		if r := c.redirectError(op, resp); r != nil {
			return r
		}
		e.Kind, e.msg = KindServerError, fmt.Sprintf("HTTP %d: unexpected status from Jira", code)
	case code == http.StatusUnauthorized:
		e.Kind, e.msg = KindAuth, fmt.Sprintf("HTTP %d: authentication failed: %s", code, c.credentialHint())
	case code == http.StatusForbidden:
		e.Kind, e.msg = KindForbidden, fmt.Sprintf("HTTP %d: access denied: the user needs the Jira administrators permission, or project administration with project_keys listing its projects", code)
	case code == http.StatusNotFound:
		e.Kind, e.msg = KindNotFound, fmt.Sprintf("HTTP %d: Backbone's REST API was not found at %s: check the endpoint, including Jira's context path, and that Backbone Issue Sync is installed and enabled", code, c.base)
	case code == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
		e.msg = fmt.Sprintf("HTTP %d: Jira's REST rate limit was hit", code)
		if d := retryAfter(resp.Header.Get("Retry-After"), c.now()); d > 0 {
			e.RetryAt = c.now().Add(d)
		} else {
			e.msg += "; scrape less often or ask the Jira admin to exempt this user"
		}
	case code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		e.Kind, e.msg = KindServerError, fmt.Sprintf("HTTP %d: Jira or a proxy in front of it is unavailable", code)
		// A restarting node or a maintenance page may say when to come back.
		if d := retryAfter(resp.Header.Get("Retry-After"), c.now()); d > 0 && code == http.StatusServiceUnavailable {
			e.RetryAt = c.now().Add(d)
		}
	case code >= 500:
		e.Kind, e.msg = KindServerError, fmt.Sprintf("HTTP %d: Jira failed to answer; see its atlassian-jira.log", code)
	case code < 200 || code > 299:
		e.Kind, e.msg = KindServerError, fmt.Sprintf("HTTP %d: unexpected status from Jira", code)
	default:
		// A 2xx is judged by its body, whatever its Content-Type: the
		// servlet's content type is not documented.
		return nil
	}
	return e
}

// loginPage is the error for a 2xx HTML page that is not the JSON asked
// for: Jira's login handling answered instead of Backbone.
func (c *Client) loginPage(op string, code int, ct string) *Error {
	e := &Error{Kind: KindAuth, Op: op, StatusCode: code, Reason: "HTML page instead of JSON"}
	mt, _ := mediaType(ct)
	what := "an HTML page"
	switch {
	case isHTMLType(mt):
		what, e.Reason = "a "+mt+" page", mt+" page instead of JSON"
	case mt == "":
		what += " without Content-Type"
	default:
		what += " labelled " + mt
	}
	e.msg = fmt.Sprintf("HTTP %d with %s instead of JSON: Jira answered with its login page, the credentials were not accepted; %s", code, what, c.credentialHint())
	return e
}

func (c *Client) credentialHint() string {
	if c.username == "" && c.token == "" {
		return "no username or token is configured, so the HTTP client settings must supply the credentials"
	}
	return checkCredentials
}

// loginReason returns the failing login header values and the same with
// header names for messages; both empty when the login was not rejected.
func loginReason(h http.Header) (reason, shown string) {
	var values, named []string
	if v := strings.Join(h.Values(headerLoginReason), ", "); v != "" && !strings.EqualFold(strings.TrimSpace(v), "OK") {
		values, named = append(values, v), append(named, headerLoginReason+": "+v)
	}
	if v := strings.Join(h.Values(headerDeniedReason), ", "); v != "" {
		values, named = append(values, v), append(named, headerDeniedReason+": "+v)
	}
	return strings.Join(values, ", "), strings.Join(named, ", ")
}

// mediaType returns the lower-case media type of a Content-Type and whether
// it is JSON.
func mediaType(ct string) (string, bool) {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt, mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

func isHTMLType(mt string) bool { return mt == "text/html" || mt == "application/xhtml+xml" }

// sniffLen is how much of a body tells whether it is an HTML page.
const sniffLen = 512

// isHTML tells whether a response is an HTML page, by its Content-Type or,
// since that may be missing or wrong, by the start of its body.
func isHTML(ct string, body []byte) bool {
	if mt, _ := mediaType(ct); isHTMLType(mt) {
		return true
	}
	return strings.HasPrefix(http.DetectContentType(body[:min(len(body), sniffLen)]), "text/html")
}

// retryAfter parses Retry-After (seconds or HTTP date), capped at MaxRetryAfter.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(min(max(secs, 0), int64(MaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// transportError classifies a failure to get or read a response.
func transportError(op string, code int, err error) *Error {
	e := &Error{Op: op, StatusCode: code, Kind: KindConnection, Err: err}
	var what string
	switch {
	case errors.Is(err, context.Canceled):
		e.Reason, what = "cancelled", "request cancelled"
	case isTimeout(err):
		e.Kind, e.Reason, what = KindTimeout, "timeout", "no answer from Jira in time; check Jira's load or raise the timeout"
	case isTLS(err):
		e.Reason, what = "tls", "TLS handshake with Jira failed; check the certificate and the CA settings"
	case isDNS(err):
		e.Reason, what = "dns", "cannot resolve Jira's host name; check the endpoint"
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Reason, what = "connection refused", "connection refused; check that Jira runs at the endpoint's host and port"
	case code != 0:
		what = "the connection dropped before the whole response arrived"
	default:
		what = "cannot reach Jira"
	}
	if code != 0 {
		what = fmt.Sprintf("HTTP %d: reading the body failed: %s", code, what)
	}
	e.msg = what + ": " + err.Error()
	return e
}

func isTLS(err error) bool {
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.AlertError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	_, ok := errors.AsType[x509.UnknownAuthorityError](err)
	return ok
}

func isDNS(err error) bool {
	_, ok := errors.AsType[*net.DNSError](err)
	return ok
}

// decodeError describes a JSON error, naming the shape when the top-level
// value is of the wrong type (an object where the list should be) and the
// Content-Type when it does not say JSON.
func decodeError(op string, code int, ct string, err error) *Error {
	detail := err.Error()
	if ute, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && ute.Field == "" && ute.Type != nil {
		detail = fmt.Sprintf("expected a JSON %s, got a JSON %s", jsonShape(ute.Type), ute.Value)
	}
	if mt, isJSON := mediaType(ct); !isJSON && mt != "" {
		detail += " (Content-Type " + mt + ")"
	}
	return &Error{
		Kind: KindDecode, Op: op, StatusCode: code, Reason: "invalid JSON", Err: err,
		msg: fmt.Sprintf("HTTP %d: the response is not the JSON expected: %s", code, detail),
	}
}

func jsonShape(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	default:
		return t.String()
	}
}
