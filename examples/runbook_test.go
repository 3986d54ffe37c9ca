package examples

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runbookPath is the runbook every alert of every backend links to.
var runbookPath = filepath.Join("..", "docs", "runbook.md")

// runbookLink matches a link to a section of the runbook, in any file format.
var runbookLink = regexp.MustCompile(`docs/runbook\.md#([^\s"'\)\]<>\\]*)`)

// markdownHeading matches an ATX heading.
var markdownHeading = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)

// githubAnchor is the anchor GitHub gives a heading: its text without markup, lower case,
// every character but letters, digits, spaces, hyphens and underscores dropped, spaces
// turned into hyphens.
func githubAnchor(heading string) string {
	heading = strings.NewReplacer("`", "", "*", "").Replace(heading)
	// A link in a heading keeps its text only.
	heading = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// runbookAnchors lists the anchors of the runbook's headings (code blocks skipped); a
// repeated heading gets -1, -2, ... as on GitHub.
func runbookAnchors(t *testing.T, doc []byte) map[string]bool {
	t.Helper()
	anchors := map[string]bool{}
	seen := map[string]int{}
	inCode := false
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
			continue
		}
		m := markdownHeading.FindStringSubmatch(line)
		if inCode || m == nil {
			continue
		}
		a := githubAnchor(m[1])
		if n := seen[a]; n > 0 {
			anchors[a+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	require.NoError(t, sc.Err())
	return anchors
}

func TestGitHubAnchor(t *testing.T) {
	for heading, want := range map[string]string{
		"BackboneIntegrationNotRunning": "backboneintegrationnotrunning",
		"Mark an integration as idle":   "mark-an-integration-as-idle",
		"The `file_log` receiver: why?": "the-file_log-receiver-why",
		"Jira's log, step 2":            "jiras-log-step-2",
	} {
		assert.Equal(t, want, githubAnchor(heading), heading)
	}
	got := runbookAnchors(t, []byte("# A\n```\n# not a heading\n```\n## B\n## B\n"))
	assert.Equal(t, map[string]bool{"a": true, "b": true, "b-1": true}, got)
}

// TestRunbookLinksResolve checks that every link to a section of docs/runbook.md in
// examples/ (alert rules, monitors, conditions, dashboards, docs; every backend) names a
// heading of the runbook.
func TestRunbookLinksResolve(t *testing.T) {
	doc, err := os.ReadFile(runbookPath)
	require.NoError(t, err)
	anchors := runbookAnchors(t, doc)
	links := 0
	require.NoError(t, filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		// The tests' own sources build links, they hold none.
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range runbookLink.FindAllSubmatch(raw, -1) {
			links++
			assert.True(t, anchors[string(m[1])], "%s: docs/runbook.md#%s names no section of the runbook", path, m[1])
		}
		return nil
	}))
	assert.GreaterOrEqual(t, links, 20, "runbook links found in examples/")
}
