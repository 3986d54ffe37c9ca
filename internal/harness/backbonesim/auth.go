package backbonesim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// authResult is Seraph's verdict on a request.
type authResult int

const (
	authOK      authResult = iota
	authMissing            // no credentials: anonymous
	authBadBasic
	authBadToken
	authCaptcha // right or wrong password, the account needs a CAPTCHA first
)

// authenticate judges a request's credentials like Jira's Seraph filter, counting
// consecutive failures of the configured user towards a CAPTCHA. Callers hold s.mu.
func (s *Sim) authenticate(r *http.Request) (string, authResult) {
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		if s.token != "" && same(strings.TrimSpace(cred), s.token) {
			return s.tokenUser(), authOK
		}
		s.stats.FailedLogins++
		return "", authBadToken
	case !strings.EqualFold(scheme, "Basic"):
		return "", authMissing
	}
	user, password, ok := r.BasicAuth()
	if !ok || s.opts.Username == "" || !strings.EqualFold(user, s.opts.Username) {
		// Jira does not count failures against an unknown user.
		s.stats.FailedLogins++
		return "", authBadBasic
	}
	if s.captcha {
		s.stats.Denied++
		return "", authCaptcha
	}
	if !same(password, s.password) {
		s.stats.FailedLogins++
		s.failures++
		if s.opts.CaptchaAfter > 0 && s.failures >= s.opts.CaptchaAfter {
			s.captcha = true
			s.stats.CaptchaTriggered++
		}
		return "", authBadBasic
	}
	s.failures = 0
	return s.opts.Username, authOK
}

// tokenUser is who a token belongs to: the configured user when there is one.
func (s *Sim) tokenUser() string {
	if s.opts.Username != "" {
		return s.opts.Username
	}
	return DefaultUsername
}

func same(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// writeAuthFailure answers like Jira's Seraph: an HTML page, and headers telling why.
// A CAPTCHA demand is a 403 in Jira, not a 401.
func (s *Sim) writeAuthFailure(w http.ResponseWriter, r *http.Request, res authResult) {
	base := s.baseURL(r)
	h := w.Header()
	h.Set("X-AUSERNAME", "anonymous")
	status, reason := http.StatusUnauthorized, ""
	switch res {
	case authMissing:
		h.Set("WWW-Authenticate", fmt.Sprintf("OAuth realm=%q", url.QueryEscape(base)))
	case authBadBasic:
		reason = "AUTHENTICATED_FAILED"
		h.Set("X-Seraph-LoginReason", reason)
		h.Set("WWW-Authenticate", fmt.Sprintf("OAuth realm=%q", url.QueryEscape(base)))
	case authBadToken:
		h.Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", url.QueryEscape(base)))
	case authCaptcha:
		status, reason = http.StatusForbidden, "AUTHENTICATION_DENIED"
		h.Set("X-Seraph-LoginReason", reason)
		h.Set("X-Authentication-Denied-Reason", "CAPTCHA_CHALLENGE; login-url="+base+"/login.jsp")
	}
	writeHTML(w, status, errorPage(status, reason))
}

// baseURL is Jira's base URL as the client reached it.
func (s *Sim) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + s.opts.ContextPath
}
