// Package prometheus proves the Prometheus alerting rules and the Grafana dashboard of
// examples/ on a real Prometheus server: the Backbone simulator runs in the test, and the
// built collector either exposes its metrics with the Prometheus exporter, which Debian's
// prometheus (2.x) scrapes, or pushes them over OTLP to a Prometheus 3 with its OTLP
// receiver; Prometheus evaluates the rules. The end-to-end tests skip unless
// BACKBONE_E2E_COLLECTOR names the built collector and, by scrape, a prometheus binary is on
// PATH, or, over OTLP, BACKBONE_E2E_PROMETHEUS3 names a Prometheus 3 binary.
package prometheus

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/wait"
	"gopkg.in/yaml.v3"
)

// Intervals of the whole setup: the receiver collects, Prometheus scrapes and evaluates the
// rules every second.
const (
	interval = time.Second
	// testForWindow replaces every `for:` of the alert rules in the test's copy.
	testForWindow = "2s"
	// testAgeScale divides every message age threshold of the test's copy: a message
	// counts from when it entered its folder, which no test can set back, so the copy's
	// 15 and 30 minutes become 6 and 12 seconds of real waiting, in the same proportion.
	testAgeScale = 150
)

// repoRoot is the repository's root, two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test's source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// prometheus3Env names a Prometheus 3 binary for the run over OTLP: Debian's package is 2.x,
// which has no OTLP receiver. `.ci/run` builds one (go install
// github.com/prometheus/prometheus/cmd/prometheus@v0.316.0, Prometheus 3.x) into a cache.
const prometheus3Env = "BACKBONE_E2E_PROMETHEUS3"

// ingestion is how Prometheus gets the collector's metrics.
type ingestion int

const (
	// byScrape: the collector's Prometheus exporter, scraped by Prometheus (2.x or 3.x).
	byScrape ingestion = iota
	// byOTLP: the collector's OTLP/HTTP exporter, pushing to Prometheus 3's OTLP receiver.
	byOTLP
)

func (i ingestion) String() string {
	if i == byOTLP {
		return "OTLP"
	}
	return "scrape"
}

// requireTools returns the collector and prometheus binaries for the ingestion, or skips the test.
func requireTools(t *testing.T, how ingestion) (collector, prometheus string) {
	t.Helper()
	collector = e2eproc.CollectorBinary(t)
	if how == byOTLP {
		prometheus = os.Getenv(prometheus3Env)
		if prometheus == "" {
			t.Skipf("%s is not set: name a Prometheus 3 binary to run the end-to-end test over OTLP ingestion "+
				"(GOBIN=<dir> go install github.com/prometheus/prometheus/cmd/prometheus@v0.316.0, as .ci/run does; "+
				"Debian's prometheus 2.x has no OTLP receiver)", prometheus3Env)
		}
		if fi, err := os.Stat(prometheus); err != nil || fi.IsDir() {
			t.Fatalf("%s=%q must name a Prometheus 3 binary: %v", prometheus3Env, prometheus, err)
		}
		return collector, prometheus
	}
	prometheus, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("no prometheus binary on PATH: install Prometheus (apt-get install prometheus) to run the Prometheus end-to-end tests")
	}
	return collector, prometheus
}

// exampleResourceLabels reads the resource attributes the examples make labels of: the
// scrape example's resource_constant_labels, or the OTLP example's promote_resource_attributes.
func exampleResourceLabels(t *testing.T, how ingestion) []string {
	t.Helper()
	var cfg struct {
		Exporters struct {
			Prometheus struct {
				Labels struct {
					Included []string `yaml:"included"`
				} `yaml:"resource_constant_labels"`
			} `yaml:"prometheus"`
		} `yaml:"exporters"`
		OTLP struct {
			Promote []string `yaml:"promote_resource_attributes"`
		} `yaml:"otlp"`
	}
	file := filepath.Join("examples", "prometheus.yaml")
	if how == byOTLP {
		file = filepath.Join("examples", "prometheus", "prometheus-otlp.yml")
	}
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), file))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := cfg.Exporters.Prometheus.Labels.Included
	if how == byOTLP {
		out = cfg.OTLP.Promote
	}
	if len(out) == 0 {
		t.Fatalf("%s lists no resource attributes to make labels of", file)
	}
	return out
}

// yamlList writes a flow-style YAML list of quoted strings.
func yamlList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// eventually polls cond until it returns nil, and fails with its last error after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	var err error
	if wait.For(t.Context(), timeout, func() bool { err = cond(); return err == nil }) != nil {
		t.Fatalf("%s: not within %s: %v", what, timeout, err)
	}
}

// forPattern matches the `for:` lines of a rule file.
var forPattern = regexp.MustCompile(`(?m)^(\s+)for:\s*\S+\s*$`)

// agePattern matches a comparison of a message age with a threshold in seconds.
var agePattern = regexp.MustCompile(`(oldest_message_age_seconds\{[^}]*\}\s*>\s*)(\d+)`)

// testRules copies the alert rules with every `for:` window shortened to testForWindow and
// every message age threshold divided by testAgeScale, so that alerts fire within seconds;
// the expressions are the real ones. promtool's unit tests (scripts/promtest.sh) check the
// real windows and thresholds.
func testRules(t *testing.T, dir string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "prometheus", "backbone-alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if n, rules := len(forPattern.FindAllIndex(src, -1)), len(ruleNames(t)); n != rules {
		t.Fatalf("backbone-alerts.yaml: %d `for:` lines for %d rules; the test copy shortens every rule's window", n, rules)
	}
	out := forPattern.ReplaceAll(src, []byte("${1}for: "+testForWindow))
	ages := 0
	out = agePattern.ReplaceAllFunc(out, func(m []byte) []byte {
		sub := agePattern.FindSubmatch(m)
		threshold, err := strconv.Atoi(string(sub[2]))
		if err != nil {
			t.Fatal(err)
		}
		ages++
		return fmt.Appendf(nil, "%s%g", sub[1], float64(threshold)/testAgeScale)
	})
	if ages == 0 {
		t.Fatal("backbone-alerts.yaml: no message age threshold found; the test copy scales them")
	}
	path := filepath.Join(dir, "backbone-alerts.test-copy.yaml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ruleNames lists the alert names of the rule file, in order (recording rules left out).
func ruleNames(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "prometheus", "backbone-alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^\s+- alert:\s*(\S+)`).FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	return names
}

// startCollector writes the collector's config and runs it with the backbone receiver on the
// simulator and its own telemetry on telemetryPort. By scrape, its Prometheus exporter listens
// on port; over OTLP, it pushes to the Prometheus at promURL.
func startCollector(t *testing.T, ctx context.Context, how ingestion, bin, dir, jiraURL, treeDir string, port int, promURL string, telemetryPort int) *e2eproc.Process {
	t.Helper()
	receiver := collectoryaml.Receiver{
		Endpoint: jiraURL, Username: backbonesim.DefaultUsername, Password: backbonesim.DefaultPassword,
		Directory: treeDir, Interval: interval,
	}
	exporter := fmt.Sprintf(`exporters:
  prometheus:
    endpoint: 127.0.0.1:%d
    resource_constant_labels:
      included: %s
    # Five collection intervals, as docs/prometheus.md recommends a few.
    metric_expiration: 5s
`, port, yamlList(exampleResourceLabels(t, byScrape)))
	pipeline := "exporters: [prometheus]"
	ready := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	if how == byOTLP {
		// As examples/prometheus-otlp.yaml: service.name becomes the job label.
		exporter = fmt.Sprintf(`exporters:
  otlp_http/prometheus:
    endpoint: %s/api/v1/otlp
processors:
  resource/metrics:
    attributes:
      - {key: service.name, value: otelcol-backbone, action: insert}
`, promURL)
		pipeline = "processors: [resource/metrics]\n      exporters: [otlp_http/prometheus]"
		ready = fmt.Sprintf("http://127.0.0.1:%d/metrics", telemetryPort)
	}
	cfg := fmt.Sprintf(`receivers:%s
%s
service:
  pipelines:
    metrics:
      receivers: [backbone]
      %s
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d
                without_scope_info: true
    logs:
      level: warn
`, receiver.YAML(), exporter, pipeline, telemetryPort)
	path := filepath.Join(dir, "collector.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p := e2eproc.Start(t, ctx, "collector", bin, "--config", path)
	e2eproc.WaitHTTP(t, p, ready, 20*time.Second)
	return p
}

// startPrometheus runs prometheus on port with its data in dir, evaluating the rules every
// second and scraping the collector's own telemetry; by scrape, also the collector's
// exporter on collectorPort. Over OTLP it enables the OTLP receiver with the resource
// attributes of examples/prometheus/prometheus-otlp.yml promoted, and a lookback of a few
// collection intervals: pushed series get no staleness markers, so with the default five
// minutes a removed integration or a stopped collector would linger past the test.
func startPrometheus(t *testing.T, ctx context.Context, how ingestion, bin, dir, rules string, port, collectorPort, telemetryPort int) (*e2eproc.Process, *promClient) {
	t.Helper()
	cfg := fmt.Sprintf(`global:
  scrape_interval: %[1]s
  scrape_timeout: %[1]s
  evaluation_interval: %[1]s
rule_files:
  - %[2]q
scrape_configs:
  - job_name: otelcol-backbone-telemetry
    static_configs:
      - targets: ["127.0.0.1:%[3]d"]
`, interval, rules, telemetryPort)
	args := []string{"--log.level=warn"}
	if how == byOTLP {
		cfg += fmt.Sprintf("otlp:\n  promote_resource_attributes: %s\n", yamlList(exampleResourceLabels(t, byOTLP)))
		args = append(args, "--web.enable-otlp-receiver", "--query.lookback-delta=5s")
	} else {
		cfg += fmt.Sprintf(`  - job_name: otelcol-backbone
    static_configs:
      - targets: ["127.0.0.1:%d"]
`, collectorPort)
		args = append(args,
			"--web.console.templates="+filepath.Join(dir, "consoles"),
			"--web.console.libraries="+filepath.Join(dir, "console_libraries"))
	}
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	args = append(args,
		"--config.file="+path,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+fmt.Sprintf("127.0.0.1:%d", port),
	)
	p := e2eproc.Start(t, ctx, "prometheus", bin, args...)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	e2eproc.WaitHTTP(t, p, base+"/-/ready", 30*time.Second)
	return p, &promClient{base: base, http: &http.Client{Timeout: 10 * time.Second}}
}

// promClient reads Prometheus' HTTP API.
type promClient struct {
	base string
	http *http.Client
}

// apiError is a non-success answer of the API; Status 400 means the query did not parse.
type apiError struct {
	Status    int
	ErrorType string
	Message   string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.ErrorType, e.Message)
}

func (c *promClient) get(path string, params url.Values, data any) error {
	resp, err := c.http.Get(c.base + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Status    string          `json:"status"`
		Data      json.RawMessage `json:"data"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("HTTP %d, not JSON: %.200s", resp.StatusCode, body)
	}
	if resp.StatusCode != http.StatusOK || env.Status != "success" {
		return &apiError{Status: resp.StatusCode, ErrorType: env.ErrorType, Message: env.Error}
	}
	return json.Unmarshal(env.Data, data)
}

// sample is one series of an instant vector.
type sample struct {
	Metric map[string]string
	Value  float64
}

// query runs an instant query. A scalar or string result comes back as one sample without labels.
func (c *promClient) query(q string) ([]sample, error) {
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := c.get("/api/v1/query", url.Values{"query": {q}}, &data); err != nil {
		return nil, err
	}
	switch data.ResultType {
	case "vector":
		var raw []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(data.Result, &raw); err != nil {
			return nil, err
		}
		out := make([]sample, 0, len(raw))
		for _, r := range raw {
			v, err := parseValue(r.Value[1])
			if err != nil {
				return nil, err
			}
			out = append(out, sample{Metric: r.Metric, Value: v})
		}
		return out, nil
	case "scalar", "string":
		var raw [2]any
		if err := json.Unmarshal(data.Result, &raw); err != nil {
			return nil, err
		}
		v, _ := parseValue(raw[1])
		return []sample{{Metric: map[string]string{}, Value: v}}, nil
	}
	return nil, fmt.Errorf("unexpected result type %q", data.ResultType)
}

// rangeSeries is one series of a range query.
type rangeSeries struct {
	Metric map[string]string
	Times  []time.Time
	Values []float64
}

func (c *promClient) queryRange(q string, start, end time.Time, step time.Duration) ([]rangeSeries, error) {
	var data struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		} `json:"result"`
	}
	params := url.Values{
		"query": {q},
		"start": {strconv.FormatFloat(float64(start.UnixMilli())/1000, 'f', 3, 64)},
		"end":   {strconv.FormatFloat(float64(end.UnixMilli())/1000, 'f', 3, 64)},
		"step":  {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)},
	}
	if err := c.get("/api/v1/query_range", params, &data); err != nil {
		return nil, err
	}
	var out []rangeSeries
	for _, r := range data.Result {
		s := rangeSeries{Metric: r.Metric}
		for _, tv := range r.Values {
			ts, ok := tv[0].(float64)
			if !ok {
				return nil, fmt.Errorf("bad timestamp %v", tv[0])
			}
			v, err := parseValue(tv[1])
			if err != nil {
				return nil, err
			}
			s.Times = append(s.Times, time.UnixMilli(int64(ts*1000)))
			s.Values = append(s.Values, v)
		}
		out = append(out, s)
	}
	return out, nil
}

func parseValue(v any) (float64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("value %v is not a string", v)
	}
	return strconv.ParseFloat(s, 64)
}

// alert is one entry of /api/v1/alerts.
type alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	Value       string            `json:"value"`
}

func (a alert) String() string {
	keys := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		if k != "alertname" && !strings.HasPrefix(k, "otel_scope_") && k != "job" && k != "instance" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(a.Labels["alertname"] + "{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%s=%q", k, a.Labels[k])
	}
	b.WriteString("} " + a.State)
	return b.String()
}

// value is the alert's value (the API writes it as a string, e.g. "2e+00"); NaN if unreadable.
func (a alert) value() float64 {
	v, err := strconv.ParseFloat(a.Value, 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

func (c *promClient) alerts() ([]alert, error) {
	var data struct {
		Alerts []alert `json:"alerts"`
	}
	err := c.get("/api/v1/alerts", nil, &data)
	return data.Alerts, err
}

// ruleHealth is one rule of /api/v1/rules.
type ruleHealth struct {
	Name      string `json:"name"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
	Type      string `json:"type"`
}

func (c *promClient) rules() ([]ruleHealth, error) {
	var data struct {
		Groups []struct {
			Rules []ruleHealth `json:"rules"`
		} `json:"groups"`
	}
	if err := c.get("/api/v1/rules", nil, &data); err != nil {
		return nil, err
	}
	var out []ruleHealth
	for _, g := range data.Groups {
		out = append(out, g.Rules...)
	}
	return out, nil
}

// matches tells whether every label of want is on got with the same value.
func matches(got, want map[string]string) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// findAlert returns the active alerts named name whose labels include want.
func findAlert(alerts []alert, name string, want map[string]string) []alert {
	var out []alert
	for _, a := range alerts {
		if a.Labels["alertname"] == name && matches(a.Labels, want) {
			out = append(out, a)
		}
	}
	return out
}
