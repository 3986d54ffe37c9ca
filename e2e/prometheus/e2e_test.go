package prometheus

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
)

// plotEnv names a PNG file to draw the failure scenario into, e.g. docs/images/failure-scenario.png
// (relative paths are taken from the repository root).
const plotEnv = "BACKBONE_E2E_PLOT"

// stepEvery is how often the simulator steps (and how much simulated time a step stands
// for): twenty ticks of ordinary traffic a second, so that queues move fast enough to watch.
const stepEvery = 50 * time.Millisecond

// alertWait bounds each wait for alerts to fire or resolve: collection, scrape, evaluation and
// the shortened `for:` take about five seconds.
const alertWait = 30 * time.Second

// setup is one run of simulator, collector and Prometheus.
type setup struct {
	sim       *backbonesim.Sim
	jiraURL   string
	collector *e2eproc.Process
	prom      *promClient
}

func start(t *testing.T, how ingestion) *setup {
	t.Helper()
	collectorBin, promBin := requireTools(t, how)
	// Every child process is killed when this context ends: the whole test's budget.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	dir := t.TempDir()

	// Cycle is so long that none of the simulator's scripted phases comes in the way: the
	// test drives the failures itself. Tick matches stepEvery, so simulated time (connector
	// start times) runs with the wall clock.
	sim, err := backbonesim.New(backbonesim.Options{
		Dir:   filepath.Join(dir, "backbone-issue-sync"),
		Seed:  7,
		Tick:  stepEvery,
		Cycle: 10_000_000,
		Epoch: time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	jiraURL, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = sim.Run(runCtx)
	}()
	t.Cleanup(func() {
		stopRun()
		<-ran
		_ = sim.Close()
	})

	port, telemetryPort, promPort := e2eproc.FreePort(t), e2eproc.FreePort(t), e2eproc.FreePort(t)
	if how == byOTLP {
		// Prometheus first: the collector pushes to it from its first collection.
		_, prom := startPrometheus(t, ctx, how, promBin, dir, testRules(t, dir), promPort, 0, telemetryPort)
		collector := startCollector(t, ctx, how, collectorBin, dir, jiraURL, sim.Dir(), 0, prom.base, telemetryPort)
		return &setup{sim: sim, jiraURL: jiraURL, collector: collector, prom: prom}
	}
	collector := startCollector(t, ctx, how, collectorBin, dir, jiraURL, sim.Dir(), port, "", telemetryPort)
	_, prom := startPrometheus(t, ctx, how, promBin, dir, testRules(t, dir), promPort, port, telemetryPort)
	return &setup{sim: sim, jiraURL: jiraURL, collector: collector, prom: prom}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// expectSeries runs query and checks that it returns exactly the series of want (each
// given by a subset of its labels) with the value wantValue (NaN for any value).
func expectSeries(t *testing.T, prom *promClient, query string, wantValue float64, want ...map[string]string) {
	t.Helper()
	got, err := prom.query(query)
	if err != nil {
		t.Errorf("%s: %v", query, err)
		return
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d series, want %d:\n%s", query, len(got), len(want), describeSamples(got))
		return
	}
	for _, w := range want {
		i := slices.IndexFunc(got, func(s sample) bool { return matches(s.Metric, w) })
		if i < 0 {
			t.Errorf("%s: no series with %v in:\n%s", query, w, describeSamples(got))
			continue
		}
		if !math.IsNaN(wantValue) && got[i].Value != wantValue {
			t.Errorf("%s: %v = %v, want %v", query, got[i].Metric, got[i].Value, wantValue)
		}
	}
}

func describeSamples(ss []sample) string {
	var lines []string
	for _, s := range ss {
		lines = append(lines, fmt.Sprintf("  %v %v", s.Metric, s.Value))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// waitAlerts waits until every alert of want is firing (by name and a subset of its labels)
// and returns the active alerts then; it logs when each was first seen pending.
func waitAlerts(t *testing.T, prom *promClient, want []wantAlert) []alert {
	t.Helper()
	pendingSeen := map[int]time.Duration{}
	firingSeen := map[int]time.Duration{}
	begin := time.Now()
	var active []alert
	eventually(t, alertWait, "alerts firing", func() error {
		var err error
		if active, err = prom.alerts(); err != nil {
			return err
		}
		var missing []string
		for i, w := range want {
			for _, a := range findAlert(active, w.name, w.labels) {
				if _, ok := pendingSeen[i]; !ok && a.State == "pending" {
					pendingSeen[i] = time.Since(begin)
				}
				if _, ok := firingSeen[i]; !ok && a.State == "firing" {
					firingSeen[i] = time.Since(begin)
				}
			}
			if _, ok := firingSeen[i]; !ok {
				missing = append(missing, fmt.Sprintf("%s%v", w.name, w.labels))
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("not firing yet: %s\nactive: %v", strings.Join(missing, ", "), active)
		}
		return nil
	})
	for i, w := range want {
		p, ok := pendingSeen[i]
		pending := "not observed (pending lasted less than a poll)"
		if ok {
			pending = p.Round(100 * time.Millisecond).String()
		}
		t.Logf("%-32s %v: pending after %s, firing after %s", w.name, w.labels, pending, firingSeen[i].Round(100*time.Millisecond))
	}
	return active
}

// wantAlert names an alert and a subset of its labels.
type wantAlert struct {
	name   string
	labels map[string]string
}

// expectInactive fails for each active alert named in names whose labels include match.
func expectInactive(t *testing.T, active []alert, name string, match map[string]string) {
	t.Helper()
	if got := findAlert(active, name, match); len(got) > 0 {
		t.Errorf("%s%v must not be pending or firing, is: %v", name, match, got)
	}
}

// waitResolved waits until no alert named in names with labels match is active.
func waitResolved(t *testing.T, prom *promClient, what string, name string, match map[string]string) {
	t.Helper()
	eventually(t, alertWait, what, func() error {
		active, err := prom.alerts()
		if err != nil {
			return err
		}
		if got := findAlert(active, name, match); len(got) > 0 {
			return fmt.Errorf("still active: %v", got)
		}
		return nil
	})
}

// The whole chain on a real Prometheus that scrapes the collector: the collector's metrics
// arrive with the right names and labels, every rule evaluates, the failures the simulator is
// driven into raise exactly the expected alerts, which resolve after recovery, and every
// dashboard query parses and returns data.
func TestPrometheusEndToEnd(t *testing.T) {
	endToEnd(t, byScrape)
}

// The same on Prometheus 3 fed over OTLP, with the resource attributes of
// examples/prometheus/prometheus-otlp.yml promoted to labels.
func TestPrometheusEndToEndOTLP(t *testing.T) {
	endToEnd(t, byOTLP)
}

func endToEnd(t *testing.T, how ingestion) {
	began := time.Now()
	s := start(t, how)
	prom, sim, base := s.prom, s.sim, s.jiraURL
	t.Logf("simulator %s, collector and prometheus %s (%s) up after %s", base, prom.base, how, time.Since(began).Round(time.Millisecond))

	// --- Healthy: the series and their labels. ---
	eventually(t, 20*time.Second, "first metrics in Prometheus", func() error {
		res, err := prom.query(`count(backbone_folder_messages) == 50 and on() count(backbone_integration_status{backbone_integration_state="running"}) == 3`)
		if err != nil {
			return err
		}
		if len(res) == 0 {
			return fmt.Errorf("not all series scraped yet")
		}
		return nil
	})
	firstData := time.Now()
	job := map[string]string{"job": "otelcol-backbone", "jira_base_url": base}
	with := func(kv ...string) map[string]string {
		m := map[string]string{"job": job["job"], "jira_base_url": base}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	connectors := []map[string]string{
		with("backbone_integration_key", "INT-16", "backbone_connector_key", "AP-29", "jira_project_key", "AP"),
		with("backbone_integration_key", "INT-16", "backbone_connector_key", "PB-30", "jira_project_key", "PB"),
		with("backbone_integration_key", "INT-15", "backbone_connector_key", "SP-28", "jira_project_key", "SP"),
		with("backbone_integration_key", "INT-17", "backbone_connector_key", "SSD-38", "jira_project_key", "SSD"),
		with("backbone_integration_key", "INT-17", "backbone_connector_key", "AP-39", "jira_project_key", "AP"),
	}
	expectSeries(t, prom, `{__name__=~"backbone_.+_ratio"}`, math.NaN()) // 0/1 gauges have {api}/{connector} units, no _ratio
	expectSeries(t, prom, `backbone_api_up`, 1, job)
	for _, kind := range []string{"auth", "forbidden", "not_found", "rate_limited", "timeout", "connection", "server_error", "decode", "redirect"} {
		expectSeries(t, prom, `backbone_api_error{error_type="`+kind+`"}`, 0, job)
	}
	expectSeries(t, prom, `count(backbone_api_request_duration_seconds{jira_base_url!=""})`, 1, map[string]string{})
	expectSeries(t, prom, `backbone_integration_status{backbone_integration_state="running"}`, 1,
		with("backbone_integration_key", "INT-15"), with("backbone_integration_key", "INT-16"), with("backbone_integration_key", "INT-17"))
	expectSeries(t, prom, `backbone_integration_status{backbone_integration_state="stopped"}`, 0,
		with("backbone_integration_key", "INT-15"), with("backbone_integration_key", "INT-16"), with("backbone_integration_key", "INT-17"))
	expectSeries(t, prom, `backbone_connector_online`, 1, connectors...)
	expectSeries(t, prom, `backbone_connector_reconnecting`, 0, connectors...)
	expectSeries(t, prom, `backbone_connector_issues_in_error`, 0, connectors...)
	expectSeries(t, prom, `backbone_connector_uptime_seconds`, math.NaN(), connectors...)
	expectSeries(t, prom, `backbone_connector_route_status{backbone_route_state="started"}`, 1,
		with("backbone_connector_key", "AP-29", "backbone_route", "incoming"), with("backbone_connector_key", "AP-29", "backbone_route", "outgoing"),
		with("backbone_connector_key", "AP-29", "backbone_route", "external"), with("backbone_connector_key", "PB-30", "backbone_route", "incoming"),
		with("backbone_connector_key", "PB-30", "backbone_route", "outgoing"), with("backbone_connector_key", "PB-30", "backbone_route", "external"),
		with("backbone_connector_key", "SP-28", "backbone_route", "incoming"), with("backbone_connector_key", "SP-28", "backbone_route", "outgoing"),
		with("backbone_connector_key", "SP-28", "backbone_route", "external"), with("backbone_connector_key", "SSD-38", "backbone_route", "incoming"),
		with("backbone_connector_key", "SSD-38", "backbone_route", "outgoing"), with("backbone_connector_key", "SSD-38", "backbone_route", "external"),
		with("backbone_connector_key", "AP-39", "backbone_route", "incoming"), with("backbone_connector_key", "AP-39", "backbone_route", "outgoing"),
		with("backbone_connector_key", "AP-39", "backbone_route", "external"))
	expectSeries(t, prom, `backbone_connector_processing_status{backbone_processing_state="idle"}`, 1,
		with("backbone_connector_key", "AP-29", "backbone_direction", "incoming"), with("backbone_connector_key", "AP-29", "backbone_direction", "outgoing"),
		with("backbone_connector_key", "PB-30", "backbone_direction", "incoming"), with("backbone_connector_key", "PB-30", "backbone_direction", "outgoing"),
		with("backbone_connector_key", "SP-28", "backbone_direction", "incoming"), with("backbone_connector_key", "SP-28", "backbone_direction", "outgoing"),
		with("backbone_connector_key", "SSD-38", "backbone_direction", "incoming"), with("backbone_connector_key", "SSD-38", "backbone_direction", "outgoing"),
		with("backbone_connector_key", "AP-39", "backbone_direction", "incoming"), with("backbone_connector_key", "AP-39", "backbone_direction", "outgoing"))
	var folders []map[string]string
	for _, f := range []string{"receive", "archive", "error", "issue_missing", "sequence_error", "offline", "invalid", "discard", "send", "send_error"} {
		folders = append(folders, with("backbone_integration_key", "INT-16", "backbone_connector_key", "AP-29", "jira_project_key", "AP", "backbone_folder", f))
	}
	expectSeries(t, prom, `backbone_folder_messages{backbone_connector_key="AP-29"}`, math.NaN(), folders...)
	// Archive has no size or age without archive_details.
	expectSeries(t, prom, `backbone_folder_oldest_message_age_seconds{backbone_connector_key="AP-29"}`, math.NaN(), slices.Concat(folders[:1], folders[2:])...)
	expectSeries(t, prom, `backbone_folder_size_bytes{backbone_connector_key="AP-29"}`, math.NaN(), slices.Concat(folders[:1], folders[2:])...)
	expectSeries(t, prom, `backbone_folder_issues{backbone_connector_key="AP-29"}`, 0, folders[2], folders[3])
	if t.Failed() {
		t.FailNow()
	}

	// Every rule of the file is loaded and evaluates without error.
	names := ruleNames(t)
	eventually(t, 10*time.Second, "rules evaluated", func() error {
		rules, err := prom.rules()
		if err != nil {
			return err
		}
		var loaded []string
		for _, r := range rules {
			if r.Health != "ok" {
				return fmt.Errorf("rule %s: health %q %s", r.Name, r.Health, r.LastError)
			}
			if r.Type == "alerting" {
				loaded = append(loaded, r.Name)
			}
		}
		if !slices.Equal(loaded, names) {
			return fmt.Errorf("rules loaded %v, want %v", loaded, names)
		}
		return nil
	})
	// Healthy: nothing pending or firing (BackboneNoData may have been pending before the
	// first scrape).
	eventually(t, 10*time.Second, "no alert while healthy", func() error {
		active, err := prom.alerts()
		if err != nil {
			return err
		}
		if len(active) > 0 {
			return fmt.Errorf("active: %v", active)
		}
		return nil
	})
	t.Logf("healthy: all series and %d rules checked after %s", len(names), time.Since(began).Round(time.Millisecond))

	// A few healthy seconds on record before the failures, for the picture.
	time.Sleep(time.Until(firstData.Add(6 * time.Second)))

	// --- Failures. ---
	failedAt := time.Now()
	// The partner of SP-28 goes away: its changes pile up in SEND and wait there longer
	// than the (scaled) 30 minutes.
	check(t, sim.SetOnline("SP-28", false))
	must[string](t)(sim.PutMessage("INT-15", "SP-28", backbonesim.FolderSend, ""))
	// Two issues of AP-29 fail to apply (three messages).
	var errorMsgs []string
	for _, issue := range []string{"AP-123", "AP-123", "AP-124"} {
		errorMsgs = append(errorMsgs, must[string](t)(sim.PutMessage("INT-16", "AP-29", backbonesim.FolderError, issue)))
	}
	seqMsg := must[string](t)(sim.PutMessage("INT-16", "PB-30", backbonesim.FolderSequenceError, ""))
	sendErrMsg := must[string](t)(sim.PutMessage("INT-16", "PB-30", backbonesim.FolderSendError, ""))
	// INT-17 is stopped, with a received message waiting longer than the (scaled) 15 minutes.
	check(t, sim.SetIntegrationStatus("INT-17", backbonesim.StatusStopped))
	must[string](t)(sim.PutMessage("INT-17", "SSD-38", backbonesim.FolderReceive, ""))
	// An integration the API calls running whose routes did not start: the simulator keeps
	// a status other than RUNNING or STOPPED as given and leaves the routes stopped, and the
	// receiver normalises "Running" to running.
	check(t, sim.AddIntegration(backbonesim.IntegrationSpec{
		Key:     "INT-18",
		Summary: "Support <> Operations",
		Status:  "Running",
		Connectors: []backbonesim.ConnectorSpec{
			{Key: "SUP-40", ProjectKey: "SUP"},
			{Key: "OPS-41", ProjectKey: "OPS"},
		},
	}))

	// Integrations that must not page: a draft and a declined request (with its connector
	// offline), never running; and one that needs a restart, which does.
	for _, spec := range []backbonesim.IntegrationSpec{
		{Key: "INT-19", Summary: "Draft", Status: "Draft", Connectors: []backbonesim.ConnectorSpec{{Key: "DR-42", ProjectKey: "DR"}, {Key: "DR-45", ProjectKey: "DRX"}}},
		{Key: "INT-20", Summary: "Declined", Status: "DECLINED", Connectors: []backbonesim.ConnectorSpec{{Key: "DE-43", ProjectKey: "DE"}, {Key: "DE-46", ProjectKey: "DEX"}}},
		{Key: "INT-21", Summary: "Changed", Status: "RESTART REQUIRED", Connectors: []backbonesim.ConnectorSpec{{Key: "RR-44", ProjectKey: "RR"}, {Key: "RR-47", ProjectKey: "RRX"}}},
	} {
		check(t, sim.AddIntegration(spec))
	}
	check(t, sim.SetOnline("DE-43", false))

	want := []wantAlert{
		{"BackboneConnectorOffline", with("backbone_integration_key", "INT-15", "backbone_connector_key", "SP-28", "jira_project_key", "SP", "severity", "critical")},
		{"BackboneSendStuck", with("backbone_integration_key", "INT-15", "backbone_connector_key", "SP-28", "backbone_folder", "send", "severity", "warning")},
		{"BackboneSendBacklogGrowing", with("backbone_integration_key", "INT-15", "backbone_connector_key", "SP-28", "backbone_folder", "send")},
		{"BackboneIssuesInError", with("backbone_integration_key", "INT-16", "backbone_connector_key", "AP-29", "jira_project_key", "AP")},
		{"BackboneMessagesInError", with("backbone_integration_key", "INT-16", "backbone_connector_key", "AP-29", "backbone_folder", "error")},
		{"BackboneMessagesSequenceError", with("backbone_integration_key", "INT-16", "backbone_connector_key", "PB-30", "backbone_folder", "sequence_error")},
		{"BackboneMessagesSendError", with("backbone_integration_key", "INT-16", "backbone_connector_key", "PB-30", "backbone_folder", "send_error")},
		{"BackboneIntegrationNotRunning", with("backbone_integration_key", "INT-17", "severity", "critical")},
		{"BackboneIntegrationNeedsAdmin", with("backbone_integration_key", "INT-21", "severity", "critical")},
		{"BackboneReceiveStuck", with("backbone_integration_key", "INT-17", "backbone_connector_key", "SSD-38", "backbone_folder", "receive")},
	}
	for _, c := range []string{"SUP-40", "OPS-41"} {
		for _, r := range []string{"incoming", "outgoing", "external"} {
			want = append(want, wantAlert{"BackboneRouteNotStarted", with("backbone_integration_key", "INT-18", "backbone_connector_key", c, "backbone_route", r)})
		}
	}
	active := waitAlerts(t, prom, want)
	t.Logf("failures: %d alerts firing %s after the failures began", len(want), time.Since(failedAt).Round(100*time.Millisecond))

	// Values and annotations carry what the on-call engineer needs.
	if a := findAlert(active, "BackboneIssuesInError", nil); len(a) != 1 || a[0].value() != 2 {
		t.Errorf("BackboneIssuesInError: want one alert with value 2 (two issue folders), got %v", a)
	}
	if a := findAlert(active, "BackboneMessagesInError", nil); len(a) != 1 || !strings.HasPrefix(a[0].Annotations["summary"], "3 message(s) failed to apply on INT-16/AP-29") {
		t.Errorf("BackboneMessagesInError: want one alert for three messages, got %v %v", a, annotations(a))
	}
	if a := findAlert(active, "BackboneIntegrationNeedsAdmin", nil); len(a) != 1 || !strings.Contains(a[0].Annotations["description"], "in state restart_required for") {
		t.Errorf("BackboneIntegrationNeedsAdmin: want the current state in the description, got %v", annotations(a))
	}
	if a := findAlert(active, "BackboneIntegrationNotRunning", nil); len(a) != 1 || !strings.Contains(a[0].Annotations["description"], "(state now: stopped)") {
		t.Errorf("BackboneIntegrationNotRunning: want the current state in the description, got %v", annotations(a))
	}
	if a := findAlert(active, "BackboneConnectorOffline", nil); len(a) != 1 || a[0].Annotations["summary"] != "Backbone connector SP-28 of INT-15 is offline" {
		t.Errorf("BackboneConnectorOffline: got %v", annotations(a))
	}
	// And nothing else: an offline connector also reconnects, but only the offline alert
	// fires; a stopped integration's routes are stopped on purpose; the API works.
	expectInactive(t, active, "BackboneConnectorReconnecting", nil)
	expectInactive(t, active, "BackboneRouteNotStarted", map[string]string{"backbone_integration_key": "INT-17"})
	expectInactive(t, active, "BackboneConnectorOffline", map[string]string{"backbone_integration_key": "INT-17"})
	// The draft and the declined request page for nothing.
	for _, key := range []string{"INT-19", "INT-20"} {
		for _, name := range names {
			expectInactive(t, active, name, map[string]string{"backbone_integration_key": key})
		}
	}
	for _, name := range []string{"BackboneAPIDown", "BackboneAPICredentialsRejected", "BackboneNoData"} {
		expectInactive(t, active, name, nil)
	}
	// The stopped INT-17 queues up in both connectors: with the scaled thresholds its queues
	// may pass 15 and 30 minutes while the test waits, as they would in a real stop.
	mayFire := []wantAlert{
		{"BackboneReceiveStuck", with("backbone_integration_key", "INT-17")},
		{"BackboneSendStuck", with("backbone_integration_key", "INT-17")},
	}
	for _, a := range active {
		expected := func(w wantAlert) bool { return w.name == a.Labels["alertname"] && matches(a.Labels, w.labels) }
		if !slices.ContainsFunc(want, expected) && !slices.ContainsFunc(mayFire, expected) {
			t.Errorf("unexpected alert %v", a)
		}
	}

	// The dashboard's queries, on the failure scenario.
	checkDashboardQueries(t, prom, base)

	// --- Recovery. ---
	recoveredAt := time.Now()
	check(t, sim.SetOnline("SP-28", true))
	for _, p := range errorMsgs {
		must[string](t)(sim.MoveMessage(p, backbonesim.FolderArchive, ""))
	}
	must[string](t)(sim.MoveMessage(seqMsg, backbonesim.FolderArchive, ""))
	must[string](t)(sim.MoveMessage(sendErrMsg, backbonesim.FolderSend, ""))
	check(t, sim.SetIntegrationStatus("INT-17", backbonesim.StatusRunning))
	for _, key := range []string{"INT-18", "INT-19", "INT-20", "INT-21"} {
		check(t, sim.RemoveIntegration(key))
	}
	eventually(t, alertWait, "all alerts resolved after recovery", func() error {
		active, err := prom.alerts()
		if err != nil {
			return err
		}
		if len(active) > 0 {
			return fmt.Errorf("still active: %v", active)
		}
		return nil
	})
	t.Logf("recovery: all alerts resolved %s after recovery began", time.Since(recoveredAt).Round(100*time.Millisecond))
	// Let the drained queues show in the picture.
	time.Sleep(3 * time.Second)
	if out := os.Getenv(plotEnv); out != "" && how == byScrape {
		if !filepath.IsAbs(out) {
			out = filepath.Join(repoRoot(t), out)
		}
		plotScenario(t, prom, out, failedAt.Add(-5*time.Second), time.Now(), failedAt, recoveredAt)
	}

	// --- The REST API fails: Jira answers 500, then rejects the password. ---
	sim.SetFault(backbonesim.FaultServerError)
	active = waitAlerts(t, prom, []wantAlert{{"BackboneAPIDown", map[string]string{"severity": "warning"}}})
	expectInactive(t, active, "BackboneAPICredentialsRejected", nil)
	expectInactive(t, active, "BackboneIntegrationNotRunning", nil)
	expectInactive(t, active, "BackboneNoData", nil)
	sim.SetFault(backbonesim.FaultNone)
	waitResolved(t, prom, "BackboneAPIDown resolved once Jira answers again", "BackboneAPIDown", nil)

	sim.SetPassword("rotated-by-an-admin")
	active = waitAlerts(t, prom, []wantAlert{{"BackboneAPICredentialsRejected", map[string]string{"severity": "critical"}}})
	expectInactive(t, active, "BackboneAPIDown", nil)

	// --- The collector stops: no data at all. ---
	s.collector.Stop(t)
	active = waitAlerts(t, prom, []wantAlert{{"BackboneNoData", map[string]string{"severity": "critical"}}})
	if a := findAlert(active, "BackboneNoData", nil); len(a) != 1 || len(a[0].Labels) != 2 {
		t.Errorf("BackboneNoData: want one alert labelled only alertname and severity, got %v", a)
	}
	t.Logf("total %s", time.Since(began).Round(100*time.Millisecond))
}

func annotations(as []alert) []map[string]string {
	var out []map[string]string
	for _, a := range as {
		out = append(out, a.Annotations)
	}
	return out
}
