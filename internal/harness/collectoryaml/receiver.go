// Package collectoryaml writes the configuration of a test collector: the backbone receiver's
// block and, around it, the pipelines to a fake OTLP backend. The end-to-end tests, the soak
// driver and the event benchmark all run the built collector against the Backbone simulator;
// this is the one place that spells the keys they share and quotes the values.
package collectoryaml

import (
	"strconv"
	"strings"
	"time"
)

// Receiver is what the runs vary in the receiver's block.
type Receiver struct {
	Endpoint  string // Jira base URL; empty leaves the API (and the credentials) out
	Username  string
	Password  string
	Directory string // the backbone-issue-sync folder
	Interval  time.Duration
	// Extra holds further keys of the block, each line indented by four spaces
	// ("    storage: file_storage\n").
	Extra string
}

// YAML is the block for its place under receivers:, starting with a newline. initial_delay
// is 0: a run wants its first tick at once. stuck_after is 0: the runs count every message
// event as its message appears (the receiver's tests cover stuck_after).
func (r Receiver) YAML() string {
	var b strings.Builder
	b.WriteString("\n  backbone:\n")
	if r.Endpoint != "" {
		b.WriteString("    endpoint: " + strconv.Quote(r.Endpoint) + "\n")
		b.WriteString("    username: " + strconv.Quote(r.Username) + "\n")
		b.WriteString("    password: " + strconv.Quote(r.Password) + "\n")
	}
	b.WriteString("    directory: " + strconv.Quote(r.Directory) + "\n")
	b.WriteString("    collection_interval: " + r.Interval.String() + "\n")
	b.WriteString("    initial_delay: 0s\n")
	b.WriteString("    stuck_after: 0s\n")
	b.WriteString(r.Extra)
	return b.String()
}
