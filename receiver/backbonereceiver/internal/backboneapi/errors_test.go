package backboneapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		desc string
		err  error
		want ErrorKind
	}{
		{desc: "nil", err: nil, want: ""},
		{desc: "error", err: &Error{Kind: KindForbidden}, want: KindForbidden},
		{desc: "wrapped error", err: fmt.Errorf("scrape: %w", &Error{Kind: KindDecode}), want: KindDecode},
		{desc: "joined error", err: errors.Join(errors.New("x"), &Error{Kind: KindAuth}), want: KindAuth},
		{desc: "deadline", err: fmt.Errorf("get: %w", context.DeadlineExceeded), want: KindTimeout},
		{desc: "net timeout", err: &net.DNSError{IsTimeout: true}, want: KindTimeout},
		{desc: "net error", err: &net.OpError{Op: "dial", Err: errors.New("refused")}, want: KindConnection},
		{desc: "cancelled", err: context.Canceled, want: KindConnection},
		{desc: "other", err: errors.New("boom"), want: KindConnection},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, tt.want, KindOf(tt.err))
		})
	}
}

// Errors built outside the client still read well.
func TestErrorFallbackMessages(t *testing.T) {
	cause := errors.New("cause")
	tests := []struct {
		desc string
		err  *Error
		want string
	}{
		{desc: "kind only", err: &Error{Kind: KindServerError}, want: "server error"},
		{
			desc: "full",
			err:  &Error{Kind: KindAuth, Op: "get integrations", StatusCode: 401, Reason: "AUTHENTICATED_FAILED", Err: cause},
			want: "get integrations: HTTP 401: authentication failed (AUTHENTICATED_FAILED): cause",
		},
		{
			desc: "auth hold",
			err:  &Error{Kind: KindAuth, Op: "op", RetryAt: t0.Add(30 * time.Minute)},
			want: "op: authentication failed; Jira locks the account after repeated failed logins, so the client waits until 2030-01-02T12:30:00Z before trying again",
		},
		{
			desc: "rate limit hold",
			err:  &Error{Kind: KindRateLimited, Op: "op", StatusCode: 429, RetryAt: t0},
			want: "op: HTTP 429: rate limited by Jira; the client waits until 2030-01-02T12:00:00Z before calling Jira again, as Jira asked",
		},
		{
			desc: "skipped",
			err:  &Error{Kind: KindAuth, Op: "op", Skipped: true, RetryAt: t0},
			want: "op: skipped, no request sent before 2030-01-02T12:00:00Z because of an earlier failure: authentication failed",
		},
		{desc: "unknown kind", err: &Error{Kind: "new"}, want: "request failed"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}

func TestErrorUnwrap(t *testing.T) {
	err := &Error{Kind: KindConnection, Err: context.Canceled}
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, (&Error{}).Unwrap())
}
