package backboneapi

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
)

func TestNormalizeState(t *testing.T) {
	tests := []struct {
		desc, in, want string
	}{
		{desc: "empty", in: "", want: ""},
		{desc: "upper case", in: "RUNNING", want: "running"},
		{desc: "space", in: "RESTART REQUIRED", want: "restart_required"},
		{desc: "underscore", in: "RESTART_REQUIRED", want: "restart_required"},
		{desc: "hyphen, mixed case", in: "Restart-Required", want: "restart_required"},
		{desc: "runs and surrounding space", in: "  waiting  for__-slave\t", want: "waiting_for_slave"},
		{desc: "only spaces", in: "   ", want: ""},
		{desc: "leading separator kept as one", in: "-_draft", want: "_draft"},
		{desc: "unknown value kept", in: "SOMETHING_NEW", want: "something_new"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, tt.want, NormalizeState(tt.in))
		})
	}
}

func TestKnownStatesAreNormalized(t *testing.T) {
	for _, list := range [][]string{IntegrationStates, RouteStates, ProcessingStates} {
		for _, s := range list {
			assert.Equal(t, s, NormalizeState(s))
		}
	}
	assert.Contains(t, IntegrationStates, NormalizeState("WAITING FOR SLAVE"))
	assert.Contains(t, RouteStates, NormalizeState("Started"))
	assert.NotContains(t, ProcessingStates, NormalizeState("BUSY"))
}

func FuzzNormalizeState(f *testing.F) {
	for _, s := range []string{
		"RUNNING", "STOPPED", "RESTART REQUIRED", "Restart-Required", "SOMETHING_NEW",
		"STARTED", "IDLE", "WAITING_FOR_SLAVE", " \t-_ ", "İSTANBUL", "\xff\xfe", "ǅ",
	} {
		f.Add(s)
	}
	for _, s := range fixtureStates(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := NormalizeState(s)
		if again := NormalizeState(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
		if strings.ToLower(got) != got {
			t.Fatalf("upper case left in %q", got)
		}
		if strings.IndexFunc(got, unicode.IsSpace) >= 0 || strings.ContainsAny(got, "-") || strings.Contains(got, "__") {
			t.Fatalf("separator left in %q", got)
		}
	})
}
