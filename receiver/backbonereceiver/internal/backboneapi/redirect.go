package backboneapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects is the standard library's own limit.
const maxRedirects = 10

// loginPathHints mark a redirect target as a login page: Jira's login.jsp and /login,
// and the paths of SAML and OpenID Connect identity providers and SSO apps.
var loginPathHints = []string{"login", "saml", "sso", "oidc", "oauth", "openid", "authorize"}

// checkRedirect follows a redirect within Jira's host (http to https, a context path)
// but not one to another host, where the credentials would not go and an identity
// provider's page would answer, nor one to a login page: the response is then the
// redirect itself, which classify reports as KindRedirect.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if !strings.EqualFold(req.URL.Host, via[0].URL.Host) || isLoginPath(req.URL.Path) {
		return http.ErrUseLastResponse
	}
	return nil
}

func isLoginPath(path string) bool {
	path = strings.ToLower(path)
	for _, hint := range loginPathHints {
		if strings.Contains(path, hint) {
			return true
		}
	}
	return false
}

// redirectError describes a redirect checkRedirect did not follow, naming the target
// host only: the target's query may carry a SAML request or a token. No password was
// tried, so it sets off no lockout back-off.
func (c *Client) redirectError(op string, resp *http.Response) *Error {
	code := resp.StatusCode
	loc, err := resp.Location()
	if err != nil {
		if !errors.Is(err, http.ErrNoLocation) {
			return &Error{Kind: KindRedirect, Op: op, StatusCode: code, Reason: "invalid Location",
				msg: fmt.Sprintf("HTTP %d: Jira redirected the call to an address that cannot be parsed; check the endpoint", code)}
		}
		return nil
	}
	e := &Error{Kind: KindRedirect, Op: op, StatusCode: code, Reason: "redirect to " + loc.Host}
	if isLoginPath(loc.Path) {
		e.Reason = "login page at " + loc.Host
		e.msg = fmt.Sprintf("HTTP %d: the call was redirected to a login page at %s (single sign-on) and not followed; no password was tried. API calls must bypass SSO: add Atlassian's nosso parameter to the endpoint (https://jira.example.com/?nosso), or ask the SSO admin to exempt this user or Backbone's API path", code, loc.Host)
		return e
	}
	e.msg = fmt.Sprintf("HTTP %d: the call was redirected to another host, %s, and not followed, so that the credentials go to Jira only; if Jira lives there, set the endpoint to %s", code, loc.Host, sanitized(loc))
	return e
}

// sanitized is u without userinfo, query or fragment.
func sanitized(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.ForceQuery, v.Fragment = nil, "", false, ""
	return v.String()
}
