package examples

import (
	"regexp"
	"strings"
)

// The parts of a PromQL or LogQL expression that name metrics and labels. A full parser is
// not needed: the packs use plain selectors, grouping clauses and label_values.
var (
	labelMatcher   = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"`)
	groupingClause = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	labelValuesArg = regexp.MustCompile(`label_values\((?:.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)`)
	stringLiteral  = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`")
	alertLabel     = regexp.MustCompile(`\$labels\.([A-Za-z_][A-Za-z0-9_]*)|\.Labels\.([A-Za-z_][A-Za-z0-9_]*)`)
	legendLabel    = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)
)

// promRefs holds the metric and label names an expression refers to.
type promRefs struct {
	metrics, labels []string
}

// parsePromQL finds the metric names (those with the given prefix) and label names of a
// PromQL or LogQL expression.
func parsePromQL(expr, metricPrefix string) promRefs {
	var r promRefs
	for _, m := range labelMatcher.FindAllStringSubmatch(expr, -1) {
		if m[1] == "__name__" {
			for _, alt := range strings.Split(m[2], "|") {
				if strings.HasPrefix(alt, metricPrefix) {
					r.metrics = append(r.metrics, alt)
				}
			}
			continue
		}
		r.labels = append(r.labels, m[1])
	}
	rest := labelMatcher.ReplaceAllString(expr, " ")
	for _, m := range groupingClause.FindAllStringSubmatch(rest, -1) {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" {
				r.labels = append(r.labels, l)
			}
		}
	}
	rest = groupingClause.ReplaceAllString(rest, " ")
	if m := labelValuesArg.FindStringSubmatch(rest); m != nil {
		r.labels = append(r.labels, m[1])
		rest = strings.Replace(rest, m[0], strings.TrimSuffix(strings.TrimPrefix(m[0], "label_values("), ", "+m[1]+")"), 1)
	}
	rest = stringLiteral.ReplaceAllString(rest, " ")
	// Recorded names carry colons (backbone_integration:running).
	for _, m := range regexp.MustCompile(`\b`+regexp.QuoteMeta(metricPrefix)+`[A-Za-z0-9_:]*`).FindAllString(rest, -1) {
		r.metrics = append(r.metrics, m)
	}
	return r
}

// templateLabels finds the labels an alert annotation ($labels.x, .Labels.x) or a Grafana
// legend ({{x}}) refers to.
func templateLabels(re *regexp.Regexp, text string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		for _, g := range m[1:] {
			if g != "" {
				out = append(out, g)
			}
		}
	}
	return out
}
