package backbonesim

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthentication(t *testing.T) {
	tests := []struct {
		desc       string
		auth       auth
		wantStatus int
		wantSeraph string
		wantWWW    string // prefix of WWW-Authenticate
	}{
		{desc: "right password", auth: goodAuth, wantStatus: http.StatusOK, wantSeraph: "OK"},
		{desc: "user name in other case", auth: basicAuth("Monitor", testPassword), wantStatus: http.StatusOK, wantSeraph: "OK"},
		{desc: "right token", auth: bearer(testToken), wantStatus: http.StatusOK, wantSeraph: "OK"},
		{desc: "no credentials", wantStatus: http.StatusUnauthorized, wantWWW: "OAuth realm="},
		{desc: "wrong password", auth: basicAuth(testUser, "nope"), wantStatus: http.StatusUnauthorized, wantSeraph: "AUTHENTICATED_FAILED", wantWWW: "OAuth realm="},
		{desc: "unknown user", auth: basicAuth("someone", testPassword), wantStatus: http.StatusUnauthorized, wantSeraph: "AUTHENTICATED_FAILED", wantWWW: "OAuth realm="},
		{desc: "unknown token", auth: bearer("nope"), wantStatus: http.StatusUnauthorized, wantWWW: "Bearer realm="},
		{
			desc: "other scheme is anonymous", wantStatus: http.StatusUnauthorized, wantWWW: "OAuth realm=",
			auth: func(r *http.Request) { r.Header.Set("Authorization", "Digest x") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newSim(t, Options{})
			base := serve(t, s)
			resp, body := get(t, t.Context(), base, "integrations", tt.auth)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, tt.wantSeraph, resp.Header.Get("X-Seraph-LoginReason"))
			if tt.wantWWW != "" {
				assert.Regexp(t, "^"+tt.wantWWW, resp.Header.Get("WWW-Authenticate"))
			}
			if tt.wantStatus != http.StatusOK {
				assert.Equal(t, contentTypeHTML, resp.Header.Get("Content-Type"))
				assert.Contains(t, string(body), "<html>")
				assert.Equal(t, "anonymous", resp.Header.Get("X-AUSERNAME"))
			}
		})
	}
}

func TestCaptchaAfterFailedLogins(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	wrong := basicAuth(testUser, "wrong")

	for i := range 3 {
		resp, _ := get(t, t.Context(), base, "integrations", wrong)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "attempt %d", i+1)
		assert.Equal(t, "AUTHENTICATED_FAILED", resp.Header.Get("X-Seraph-LoginReason"))
	}
	assert.True(t, s.Stats().CaptchaRequired)

	// Now even the right password is refused, as Jira does, with a 403.
	resp, body := get(t, t.Context(), base, "integrations", goodAuth)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "AUTHENTICATION_DENIED", resp.Header.Get("X-Seraph-LoginReason"))
	assert.Equal(t, "CAPTCHA_CHALLENGE; login-url="+base+"/login.jsp", resp.Header.Get("X-Authentication-Denied-Reason"))
	assert.Equal(t, contentTypeHTML, resp.Header.Get("Content-Type"))
	assert.Contains(t, string(body), "AUTHENTICATION_DENIED")

	// A token does not go through the CAPTCHA check.
	resp, _ = get(t, t.Context(), base, "integrations", bearer(testToken))
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	assert.Equal(t, Stats{Requests: 5, FailedLogins: 3, Denied: 1, CaptchaTriggered: 1, CaptchaRequired: true}, s.Stats())

	s.ClearCaptcha()
	resp, _ = get(t, t.Context(), base, "integrations", goodAuth)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.False(t, s.Stats().CaptchaRequired)
}

func TestSuccessfulLoginResetsFailureCount(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	wrong := basicAuth(testUser, "wrong")
	for _, a := range []auth{wrong, wrong, goodAuth, wrong, wrong, goodAuth} {
		get(t, t.Context(), base, "integrations", a)
	}
	st := s.Stats()
	assert.False(t, st.CaptchaRequired)
	assert.Zero(t, st.CaptchaTriggered)
	assert.Equal(t, 4, st.FailedLogins)
}

func TestCaptchaThreshold(t *testing.T) {
	tests := []struct {
		desc         string
		captchaAfter int
		failures     int
		wantCaptcha  bool
	}{
		{desc: "one attempt allowed", captchaAfter: 1, failures: 1, wantCaptcha: true},
		{desc: "five allowed, four made", captchaAfter: 5, failures: 4, wantCaptcha: false},
		{desc: "unknown user never counts", captchaAfter: 1, failures: 0, wantCaptcha: false},
		{desc: "disabled", captchaAfter: -1, failures: 10, wantCaptcha: false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newSim(t, Options{CaptchaAfter: tt.captchaAfter})
			base := serve(t, s)
			get(t, t.Context(), base, "integrations", basicAuth("stranger", "x"))
			for range tt.failures {
				get(t, t.Context(), base, "integrations", basicAuth(testUser, "wrong"))
			}
			assert.Equal(t, tt.wantCaptcha, s.Stats().CaptchaRequired)
		})
	}
}

func TestSetPasswordAndToken(t *testing.T) {
	s := newSim(t, Options{CaptchaAfter: -1})
	base := serve(t, s)

	s.SetPassword("rotated")
	resp, _ := get(t, t.Context(), base, "integrations", goodAuth)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = get(t, t.Context(), base, "integrations", basicAuth(testUser, "rotated"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	s.SetToken("")
	resp, _ = get(t, t.Context(), base, "integrations", bearer(testToken))
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "revoked token")
	s.SetToken("fresh")
	resp, _ = get(t, t.Context(), base, "integrations", bearer("fresh"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestDefaultAndTokenOnlyCredentials(t *testing.T) {
	tests := []struct {
		desc       string
		opts       Options
		auth       auth
		wantStatus int
	}{
		{desc: "defaults", opts: Options{Dir: t.TempDir()}, auth: basicAuth(DefaultUsername, DefaultPassword), wantStatus: http.StatusOK},
		{desc: "token only refuses Basic", opts: Options{Dir: t.TempDir(), Token: "t"}, auth: basicAuth(DefaultUsername, DefaultPassword), wantStatus: http.StatusUnauthorized},
		{desc: "token only accepts the token", opts: Options{Dir: t.TempDir(), Token: "t"}, auth: bearer("t"), wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s, err := New(tt.opts)
			require.NoError(t, err)
			base := serve(t, s)
			resp, _ := get(t, t.Context(), base, "integrations", tt.auth)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
		})
	}
}
