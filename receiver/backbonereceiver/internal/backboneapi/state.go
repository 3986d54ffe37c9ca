package backboneapi

import (
	"strings"
	"unicode"
)

// Known state values, normalised. The UI shows multi-word states with spaces
// and the API's spelling of them is not documented, hence NormalizeState.
var (
	// IntegrationStates are the documented values of IntegrationStatus.Status.
	IntegrationStates = []string{
		"running", "stopped", "restart_required", "handshake", "waiting_for_slave",
		"update_required", "request_sent", "incoming_request", "declined", "draft",
	}
	// RouteStates are the documented values of the *RouteStatus fields.
	RouteStates = []string{"started", "stopped"}
	// ProcessingStates are the documented values of the *ProcessingStatus fields.
	ProcessingStates = []string{"idle"}
)

// NormalizeState makes state spellings comparable: it trims, lower-cases and
// turns each run of spaces, hyphens and underscores into one "_", so that
// "RESTART REQUIRED", "RESTART_REQUIRED" and "Restart-Required" all become
// "restart_required".
func NormalizeState(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	b.Grow(len(s))
	sep := false
	for _, r := range s {
		if r == '-' || r == '_' || unicode.IsSpace(r) {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('_')
			sep = false
		}
		b.WriteRune(r)
	}
	if sep {
		b.WriteByte('_')
	}
	return b.String()
}
