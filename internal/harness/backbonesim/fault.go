package backbonesim

import (
	"fmt"
	"strings"
)

// Fault is a way for the Sim to misbehave, injected with SetFault. Faults of the path
// in front of Jira (FaultLoginPage, FaultBadGateway, FaultHang) answer before any
// authentication; faults of Jira itself answer authenticated requests only, with
// X-Seraph-LoginReason: OK like any logged-in call.
type Fault int

const (
	// FaultNone answers normally.
	FaultNone Fault = iota
	// FaultLoginPage answers 200 with Jira's HTML login page (SSO redirect, Basic off).
	FaultLoginPage
	// FaultServerError answers 500 with a Jira JSON error.
	FaultServerError
	// FaultBadGateway answers 502 with a reverse proxy's HTML page.
	FaultBadGateway
	// FaultMalformedJSON answers 200 with JSON that does not parse.
	FaultMalformedJSON
	// FaultTruncated sends the start of a valid body, then drops the connection.
	FaultTruncated
	// FaultHang accepts the request and never answers, until the client gives up or
	// the Sim is closed.
	FaultHang
	// FaultSlow trickles a valid body a few bytes at a time.
	FaultSlow
	// FaultWrongShape answers well-formed JSON of the wrong shape: an object instead of
	// an array, strings where numbers belong.
	FaultWrongShape
)

var faultNames = []string{
	FaultNone:          "none",
	FaultLoginPage:     "login-page",
	FaultServerError:   "server-error",
	FaultBadGateway:    "bad-gateway",
	FaultMalformedJSON: "malformed-json",
	FaultTruncated:     "truncated",
	FaultHang:          "hang",
	FaultSlow:          "slow",
	FaultWrongShape:    "wrong-shape",
}

func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// ParseFault reads a fault's name as String writes it ("bad-gateway", ...).
func ParseFault(name string) (Fault, error) {
	for i, n := range faultNames {
		if strings.EqualFold(strings.ReplaceAll(name, "_", "-"), n) {
			return Fault(i), nil
		}
	}
	return FaultNone, fmt.Errorf("unknown fault %q (one of %s)", name, strings.Join(faultNames, ", "))
}
