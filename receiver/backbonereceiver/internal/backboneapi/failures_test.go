package backboneapi

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type failureCase struct {
	desc       string
	handler    http.Handler
	projectKey string
	statusKey  string // when set, IntegrationStatus is called instead of Integrations
	maxBody    int64
	wantKind   ErrorKind
	wantCode   int
	wantReason string
	wantMsg    []string
	wantItems  int // -1: nil slice
}

func failureCases(t *testing.T) []failureCase {
	loginPage := fixture(t, "login.html")
	invalidUTF8 := []byte("[{\"integrationKey\":\"INT-\xff\xfe\",\"summary\":\"\xc3\x28\"}]")
	return []failureCase{
		{
			desc:       "401 with seraph reason and HTML body",
			handler:    respond(http.StatusUnauthorized, "text/html;charset=UTF-8", loginPage, headerLoginReason, "AUTHENTICATED_FAILED"),
			wantKind:   KindAuth,
			wantCode:   401,
			wantReason: "AUTHENTICATED_FAILED",
			wantMsg: []string{
				"get integrations: HTTP 401: authentication failed (X-Seraph-LoginReason: AUTHENTICATED_FAILED): check username/password or token",
				"Jira locks the account after repeated failed logins, so the client waits until 2030-01-02T12:30:00Z before trying again",
			},
			wantItems: -1,
		},
		{
			desc:       "200 HTML login page",
			handler:    respond(http.StatusOK, "text/html;charset=UTF-8", loginPage),
			wantKind:   KindAuth,
			wantCode:   200,
			wantReason: "text/html page instead of JSON",
			wantMsg:    []string{"HTTP 200 with a text/html page instead of JSON: Jira answered with its login page, the credentials were not accepted"},
			wantItems:  -1,
		},
		{
			desc:       "200 plain text is no login page",
			handler:    respond(http.StatusOK, "text/plain", []byte("hello")),
			wantKind:   KindDecode,
			wantCode:   200,
			wantMsg:    []string{"HTTP 200: the response is not the JSON expected: invalid character 'h' looking for beginning of value (Content-Type text/plain)"},
			wantReason: "invalid JSON",
			wantItems:  -1,
		},
		{
			desc: "403 CAPTCHA",
			handler: respond(http.StatusForbidden, "text/html", loginPage,
				headerLoginReason, "AUTHENTICATION_DENIED",
				headerDeniedReason, "CAPTCHA_CHALLENGE; login-url=https://jira.example.com/login.jsp"),
			wantKind:   KindAuth,
			wantCode:   403,
			wantReason: "AUTHENTICATION_DENIED, CAPTCHA_CHALLENGE; login-url=https://jira.example.com/login.jsp",
			wantMsg: []string{
				"HTTP 403: Jira demands a CAPTCHA for this account (X-Seraph-LoginReason: AUTHENTICATION_DENIED, X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE; login-url=https://jira.example.com/login.jsp)",
				"someone must log in once as this user through the browser to clear it",
			},
			wantItems: -1,
		},
		{
			desc:       "200 JSON with failed seraph reason",
			handler:    respond(http.StatusOK, "application/json", []byte("[]"), headerLoginReason, "AUTHENTICATED_FAILED"),
			wantKind:   KindAuth,
			wantCode:   200,
			wantReason: "AUTHENTICATED_FAILED",
			wantItems:  -1,
		},
		{
			desc:      "plain 403",
			handler:   respond(http.StatusForbidden, "application/json", []byte(`{"message":"no"}`)),
			wantKind:  KindForbidden,
			wantCode:  403,
			wantMsg:   []string{"HTTP 403: access denied: the user needs the Jira administrators permission, or project administration with project_keys"},
			wantItems: -1,
		},
		{
			desc:       "404 project key",
			handler:    respond(http.StatusNotFound, "application/json", []byte(`{}`)),
			projectKey: "XY",
			wantKind:   KindNotFound,
			wantCode:   404,
			wantMsg:    []string{`get integrations (projectKey "XY"): HTTP 404: Jira knows no project "XY", or the user cannot see it`},
			wantItems:  -1,
		},
		{
			desc:      "404 API path",
			handler:   respond(http.StatusNotFound, "text/html", []byte(`<html></html>`)),
			wantKind:  KindNotFound,
			wantCode:  404,
			wantMsg:   []string{"Backbone's REST API was not found at http://127.0.0.1:", "/" + APIPath, "context path"},
			wantItems: -1,
		},
		{
			desc:      "404 integration status",
			handler:   respond(http.StatusNotFound, "application/json", nil),
			statusKey: "INT-9",
			wantKind:  KindNotFound,
			wantCode:  404,
			wantMsg:   []string{`get status of integration "INT-9": HTTP 404: integration "INT-9" not found`},
			wantItems: -1,
		},
		{
			desc:      "429 with seconds",
			handler:   respond(http.StatusTooManyRequests, "application/json", nil, "Retry-After", "120"),
			wantKind:  KindRateLimited,
			wantCode:  429,
			wantMsg:   []string{"HTTP 429: Jira's REST rate limit was hit; the client waits until 2030-01-02T12:02:00Z before calling Jira again"},
			wantItems: -1,
		},
		{
			desc:      "429 with date",
			handler:   respond(http.StatusTooManyRequests, "application/json", nil, "Retry-After", t0.Add(5*time.Minute).Format(http.TimeFormat)),
			wantKind:  KindRateLimited,
			wantCode:  429,
			wantMsg:   []string{"waits until 2030-01-02T12:05:00Z"},
			wantItems: -1,
		},
		{
			desc:      "429 without Retry-After",
			handler:   respond(http.StatusTooManyRequests, "application/json", nil),
			wantKind:  KindRateLimited,
			wantCode:  429,
			wantMsg:   []string{"scrape less often"},
			wantItems: -1,
		},
		{
			desc:      "500",
			handler:   respond(http.StatusInternalServerError, "application/json", []byte(`{"error":"boom"}`)),
			wantKind:  KindServerError,
			wantCode:  500,
			wantMsg:   []string{"HTTP 500: Jira failed to answer; see its atlassian-jira.log"},
			wantItems: -1,
		},
		{
			desc:      "502 HTML from a proxy",
			handler:   respond(http.StatusBadGateway, "text/html", fixture(t, "proxy_502.html")),
			wantKind:  KindServerError,
			wantCode:  502,
			wantMsg:   []string{"HTTP 502: Jira or a proxy in front of it is unavailable"},
			wantItems: -1,
		},
		{
			desc:      "unexpected 400",
			handler:   respond(http.StatusBadRequest, "application/json", nil),
			wantKind:  KindServerError,
			wantCode:  400,
			wantMsg:   []string{"HTTP 400: unexpected status"},
			wantItems: -1,
		},
		{
			desc:      "malformed JSON",
			handler:   jsonOK(fixture(t, "integrations_malformed.json")),
			wantKind:  KindDecode,
			wantCode:  200,
			wantMsg:   []string{"HTTP 200: the response is not the JSON expected: invalid character '\"' after object key:value pair"},
			wantItems: -1,
		},
		{
			desc:      "truncated JSON",
			handler:   jsonOK(fixture(t, "integrations_truncated.json")),
			wantKind:  KindDecode,
			wantCode:  200,
			wantMsg:   []string{"unexpected end of JSON input"},
			wantItems: -1,
		},
		{
			desc:       "HTML without content type",
			handler:    respond(http.StatusOK, noContentType, loginPage),
			wantKind:   KindAuth,
			wantCode:   200,
			wantReason: "HTML page instead of JSON",
			wantMsg:    []string{"HTTP 200 with an HTML page without Content-Type instead of JSON: Jira answered with its login page"},
			wantItems:  -1,
		},
		{
			desc:      "empty body",
			handler:   jsonOK(nil),
			wantKind:  KindDecode,
			wantCode:  200,
			wantItems: -1,
		},
		{
			desc:      "body over the cap",
			handler:   jsonOK(fixture(t, "integrations.json")),
			maxBody:   100,
			wantKind:  KindDecode,
			wantCode:  200,
			wantMsg:   []string{"exceeds the limit of 100 bytes"},
			wantItems: -1,
		},
		{
			desc:      "object instead of array",
			handler:   jsonOK(fixture(t, "integrations_object.json")),
			wantKind:  KindDecode,
			wantCode:  200,
			wantMsg:   []string{"expected a JSON array, got a JSON object"},
			wantItems: -1,
		},
		{
			desc:      "array instead of status object",
			handler:   jsonOK([]byte(`[]`)),
			statusKey: "INT-1",
			wantKind:  KindDecode,
			wantCode:  200,
			wantMsg:   []string{"expected a JSON object, got a JSON array"},
			wantItems: -1,
		},
		{
			desc:      "a number as a string is read",
			handler:   jsonOK(fixture(t, "integrations_bad_element.json")),
			wantItems: 3,
		},
		{
			desc:      "null and number elements",
			handler:   jsonOK([]byte(`[null, 7, {"integrationKey":"INT-1"}, "x", true, false]`)),
			wantKind:  KindDecode,
			wantCode:  200,
			wantMsg:   []string{"5 of 6 integrations could not be decoded", "element 0: null instead of an integration", "; and 2 more"},
			wantItems: 1,
		},
		{
			desc:      "invalid UTF-8 is replaced, not fatal",
			handler:   jsonOK(invalidUTF8),
			wantItems: 1,
		},
	}
}

func TestFailures(t *testing.T) {
	for _, tt := range failureCases(t) {
		t.Run(tt.desc, func(t *testing.T) {
			srv := serve(t, tt.handler)
			c, _ := newTestClient(t, srv.Client(), srv.URL, func(c *Config) { c.MaxBodyBytes = tt.maxBody })
			var (
				err   error
				items []Integration
			)
			if tt.statusKey != "" {
				var st *IntegrationStatus
				st, err = c.IntegrationStatus(t.Context(), tt.statusKey)
				if err != nil {
					assert.Nil(t, st)
				}
			} else {
				items, err = c.Integrations(t.Context(), tt.projectKey)
				if tt.wantItems < 0 {
					assert.Nil(t, items)
				} else {
					assert.Len(t, items, tt.wantItems)
				}
			}
			assert.Equal(t, tt.wantKind, KindOf(err))
			if tt.wantKind == "" {
				require.NoError(t, err)
				return
			}
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.wantCode, e.StatusCode)
			assert.False(t, e.Skipped)
			if tt.wantReason != "" {
				assert.Equal(t, tt.wantReason, e.Reason)
			}
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

func TestInvalidUTF8Replaced(t *testing.T) {
	srv := serve(t, jsonOK([]byte("[{\"integrationKey\":\"INT-\xff\",\"status\":{\"status\":\"RUN\xc3\x28\"}}]")))
	c, _ := newTestClient(t, srv.Client(), srv.URL)
	got, err := c.Integrations(t.Context(), "")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "INT-\uFFFD", got[0].IntegrationKey)
	assert.Equal(t, "run\uFFFD(", NormalizeState(got[0].Status.Status))
}

func TestTransportFailures(t *testing.T) {
	closed := serve(t, http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	slow := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	tlsSrv := httptest.NewUnstartedServer(jsonOK([]byte("[]")))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)

	dnsFail := &http.Client{Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.DNSError{Err: "no such host", Name: "jira.invalid", IsNotFound: true}
		},
	}}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		desc     string
		client   *http.Client
		endpoint string
		ctx      context.Context
		wantKind ErrorKind
		wantIs   error
		wantMsg  []string
	}{
		{
			desc: "connection refused", client: &http.Client{}, endpoint: closedURL,
			wantKind: KindConnection, wantMsg: []string{"get integrations: connection refused; check that Jira runs at the endpoint's host and port: Get \"" + closedURL},
		},
		{
			desc: "slow server against client timeout", client: &http.Client{Timeout: 50 * time.Millisecond}, endpoint: slow.URL,
			wantKind: KindTimeout, wantMsg: []string{"no answer from Jira in time", "Client.Timeout exceeded"},
		},
		{
			desc: "context deadline", client: &http.Client{}, endpoint: slow.URL, ctx: deadlineCtx(t, 50*time.Millisecond),
			wantKind: KindTimeout, wantIs: context.DeadlineExceeded,
		},
		{
			desc: "caller cancelled", client: &http.Client{}, endpoint: slow.URL, ctx: cancelled,
			wantKind: KindConnection, wantIs: context.Canceled, wantMsg: []string{"request cancelled"},
		},
		{
			desc: "TLS unknown authority", client: &http.Client{}, endpoint: tlsSrv.URL,
			wantKind: KindConnection, wantMsg: []string{"TLS handshake with Jira failed", "certificate"},
		},
		{
			desc: "DNS failure", client: dnsFail, endpoint: "http://jira.invalid",
			wantKind: KindConnection, wantMsg: []string{"cannot resolve Jira's host name", "no such host"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c, _ := newTestClient(t, tt.client, tt.endpoint)
			ctx := tt.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			start := time.Now()
			_, err := c.Integrations(ctx, "")
			assert.Less(t, time.Since(start), 3*time.Second)
			assert.Equal(t, tt.wantKind, KindOf(err))
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Zero(t, e.StatusCode)
			assert.NotNil(t, e.Err)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

func deadlineCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// No error text may leak credentials, whatever the failure.
func TestErrorsNeverLeakCredentials(t *testing.T) {
	closed := serve(t, http.NotFoundHandler())
	closed.Close()
	var handlers []http.Handler
	for _, tt := range failureCases(t) {
		handlers = append(handlers, tt.handler)
	}
	auths := map[string]func(*Config){
		"basic":  func(*Config) {},
		"bearer": func(c *Config) { c.Username, c.Password, c.Token = "", "", testToken },
	}
	for name, edit := range auths {
		t.Run(name, func(t *testing.T) {
			for i := range len(handlers) + 1 {
				endpoint := closed.URL // connection refused
				if i < len(handlers) {
					endpoint = serve(t, handlers[i]).URL
				}
				c, _ := newTestClient(t, &http.Client{}, endpoint, edit, func(c *Config) { c.MaxBodyBytes = 100 })
				for range 2 { // the second call may be a skipped copy
					for _, err := range []error{
						second(c.Integrations(t.Context(), "AP")),
						second(c.IntegrationStatus(t.Context(), "INT-1")),
					} {
						if err == nil {
							continue
						}
						msg := err.Error()
						for _, secret := range []string{testPassword, testToken, "Authorization", "Basic ", "Bearer "} {
							assert.NotContains(t, msg, secret)
						}
					}
				}
			}
		})
	}
}

func second[T any](_ T, err error) error { return err }

func TestErrorIsAndAs(t *testing.T) {
	srv := serve(t, respond(http.StatusInternalServerError, "", nil))
	c, _ := newTestClient(t, srv.Client(), srv.URL)
	_, err := c.Integrations(t.Context(), "")
	wrapped := errors.Join(errors.New("scrape failed"), err)
	assert.Equal(t, KindServerError, KindOf(wrapped))
}
