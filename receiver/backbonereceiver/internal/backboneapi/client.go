package backboneapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultMaxBodyBytes caps a response body: far above any real integration
// list, low enough that a wrong endpoint cannot exhaust memory.
const DefaultMaxBodyBytes int64 = 16 << 20

// drainLimit bounds how much of an unread body is discarded so the
// connection can be reused.
const drainLimit = 64 << 10

// Config configures a Client. The receiver's Config.Validate has checked the
// endpoint and the credentials.
type Config struct {
	Endpoint     string // Jira base URL, may include a context path
	Username     string // HTTP Basic when set
	Password     string
	Token        string           // Personal Access Token, sent as "Authorization: Bearer <token>"
	MaxBodyBytes int64            // 0 -> DefaultMaxBodyBytes
	AuthBackoff  Backoff          // positive, InitialInterval <= MaxInterval
	Now          func() time.Time // nil -> time.Now
}

// Client calls the Backbone REST API. It is safe for concurrent use and holds
// back after authentication failures and rate limiting (see Backoff).
type Client struct {
	http     *http.Client
	base     string // endpoint + APIPath, without the endpoint's query
	query    string // the endpoint's raw query (an SSO bypass, a proxy's token), sent with every call
	username string
	password string
	token    string
	maxBody  int64
	now      func() time.Time
	hold     *holdback
	pace     *pacer
}

// NewClient returns a client that sends its requests with a copy of httpClient that
// follows no redirect to another host or to a login page; it does no I/O.
func NewClient(httpClient *http.Client, cfg Config) *Client {
	base, query, _ := strings.Cut(cfg.Endpoint, "?")
	hc := *httpClient
	hc.CheckRedirect = checkRedirect
	c := &Client{
		http:     &hc,
		base:     strings.TrimRight(base, "/") + "/" + APIPath,
		query:    query,
		username: cfg.Username,
		password: cfg.Password,
		token:    cfg.Token,
		maxBody:  cfg.MaxBodyBytes,
		now:      cfg.Now,
		hold:     &holdback{cfg: cfg.AuthBackoff},
		pace:     &pacer{},
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Integrations lists the integrations, all of them or those of projectKey.
// A project without integrations gives an empty list and no error; a key
// Jira does not know gives an error that UnknownProject recognises.
// Elements that cannot be decoded are skipped: the others are returned
// together with a KindDecode *Error naming the skipped ones, so a non-nil
// slice with a non-nil error is a partial result the caller should use.
func (c *Client) Integrations(ctx context.Context, projectKey string) ([]Integration, error) {
	op, q := "get integrations", url.Values(nil)
	if projectKey != "" {
		op = fmt.Sprintf("get integrations (projectKey %q)", projectKey)
		q = url.Values{"projectKey": {projectKey}}
	}
	var list integrationList
	err := c.get(ctx, op, "integrations", q, &list)
	if e, ok := errors.AsType[*Error](err); ok && projectKey != "" && e.Kind == KindNotFound && !e.Skipped && !e.page {
		e.unknownProject = projectKey
		e.msg = fmt.Sprintf("HTTP %d: Jira knows no project %q, or the user cannot see it: check the key in project_keys", e.StatusCode, projectKey)
	}
	return list.items, err
}

// IntegrationStatus returns the status of one integration; an unknown key is
// a KindNotFound error.
func (c *Client) IntegrationStatus(ctx context.Context, integrationKey string) (*IntegrationStatus, error) {
	op := fmt.Sprintf("get status of integration %q", integrationKey)
	if integrationKey == "" {
		return nil, &Error{Kind: KindNotFound, Op: op, Reason: "empty integration key", msg: "no integration key given"}
	}
	var st IntegrationStatus
	err := c.get(ctx, op, "integrations/"+escapeSegment(integrationKey)+"/status", nil, &st)
	if err != nil {
		explainNotFound(err, fmt.Sprintf("integration %q not found; it may have been deleted since the list was read", integrationKey))
		return nil, err
	}
	return &st, nil
}

// escapeSegment escapes a path segment, including "." and "..", which
// servers would otherwise resolve as relative paths.
func escapeSegment(s string) string {
	if s == "." || s == ".." {
		return strings.ReplaceAll(s, ".", "%2E")
	}
	return url.PathEscape(s)
}

func explainNotFound(err error, text string) {
	if e, ok := errors.AsType[*Error](err); ok && e.Kind == KindNotFound && !e.Skipped {
		e.msg = fmt.Sprintf("HTTP %d: %s", e.StatusCode, text)
	}
}

// RateLimitRemaining returns the tokens of Jira's rate limit the client counts on; known
// is false until Jira has sent its rate limiting headers.
func (c *Client) RateLimitRemaining() (tokens float64, known bool) {
	return c.pace.remaining(time.Now())
}

// get fetches base+path and decodes the JSON body into out, unless the
// client is holding back. A wait that Jira asked for (Retry-After) or that its rate
// limit needs is waited for if it ends before ctx's deadline; otherwise the call is
// skipped.
func (c *Client) get(ctx context.Context, op, path string, query url.Values, out any) error {
	budget := time.Duration(-1)
	if deadline, ok := ctx.Deadline(); ok {
		budget = time.Until(deadline)
	}
	probe, hold, skipped := c.hold.admit(c.now(), op, budget)
	if skipped != nil {
		return skipped
	}
	if !wait(ctx, hold) {
		return transportError(op, 0, context.Cause(ctx))
	}
	var deadline time.Time
	if budget >= 0 {
		deadline = time.Now().Add(budget - hold)
	}
	pause, ok := c.pace.reserve(time.Now(), deadline)
	if !ok {
		return &Error{
			Kind: KindRateLimited, Op: op, Skipped: true, Reason: "no token left",
			msg: "Jira's rate limit (" + headerRateRemaining + ") has no token left for this call before the timeout; it is made at the next interval",
		}
	}
	if !wait(ctx, pause) {
		return transportError(op, 0, context.Cause(ctx))
	}
	accepted, err := c.fetch(ctx, op, path, query, out)
	c.hold.record(c.now(), probe, accepted, err)
	if err != nil {
		return err
	}
	return nil
}

// fetch does one request; accepted reports an answer that proves the
// credentials work: a 2xx whose body is the JSON asked for, or that says it
// is JSON or passed Jira's login.
func (c *Client) fetch(ctx context.Context, op, path string, query url.Values, out any) (accepted bool, _ *Error) {
	target := c.base + path
	if q := strings.Trim(c.query+"&"+query.Encode(), "&"); q != "" {
		target += "?" + q
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return false, &Error{Kind: KindConnection, Op: op, Err: err, msg: "cannot build the request: " + err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Atlassian-Token", "no-check")
	switch {
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.username != "":
		req.SetBasicAuth(c.username, c.password)
	}
	c.pace.send()
	resp, err := c.http.Do(req)
	if err != nil {
		c.pace.done(nil, time.Now())
		if ue, ok := errors.AsType[*url.Error](err); ok && c.query != "" {
			ue.URL = c.base + path // the endpoint's query may be a proxy's token
		}
		return false, transportError(op, 0, err)
	}
	c.pace.done(resp.Header, time.Now())
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		_ = resp.Body.Close()
	}()
	if e := c.classify(op, resp); e != nil {
		if e.Kind == KindNotFound {
			head, _ := io.ReadAll(io.LimitReader(resp.Body, sniffLen))
			e.page = isHTML(resp.Header.Get("Content-Type"), head)
		}
		return false, e
	}
	ct := resp.Header.Get("Content-Type")
	_, isJSON := mediaType(ct)
	// A 2xx labelled JSON, or past Jira's login, proves the credentials work
	// even if the body then fails to decode; an HTML page that is neither is
	// Jira's login page.
	loggedIn := isJSON || strings.EqualFold(strings.TrimSpace(resp.Header.Get(headerLoginReason)), "OK")
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return loggedIn, transportError(op, resp.StatusCode, err)
	}
	if int64(len(body)) > c.maxBody {
		if !loggedIn && isHTML(ct, body) {
			return false, c.loginPage(op, resp.StatusCode, ct)
		}
		return loggedIn, &Error{
			Kind: KindDecode, Op: op, StatusCode: resp.StatusCode, Reason: "body too large",
			msg: fmt.Sprintf("HTTP %d: the response body exceeds the limit of %d bytes; list fewer integrations per call with project_keys", resp.StatusCode, c.maxBody),
		}
	}
	if err := decodeLenient(body, out); err != nil {
		if !loggedIn && isHTML(ct, body) {
			return false, c.loginPage(op, resp.StatusCode, ct)
		}
		e := decodeError(op, resp.StatusCode, ct, err)
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
			e.msg += "; the body looks like markup, often a proxy's error page"
		}
		return loggedIn, e
	}
	if p, ok := out.(interface{ problems() error }); ok {
		if err := p.problems(); err != nil {
			return true, &Error{Kind: KindDecode, Op: op, StatusCode: resp.StatusCode, Reason: "elements skipped", Err: err, msg: err.Error()}
		}
	}
	return true, nil
}
