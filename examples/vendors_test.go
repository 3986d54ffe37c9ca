package examples

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// Names of the subjects every alert names, as the receiver spells them.
const (
	attrJira        = "jira.base_url"
	attrIntegration = "backbone.integration.key"
	attrConnector   = "backbone.connector.key"
	attrIdle        = "backbone.integration.idle"
)

// runbookBase is where every alert's runbook link points; the anchor is the alert's name in
// lower case, the heading docs/runbook.md gives it.
const runbookBase = "https://github.com/otelcol-backbone/otelcol-backbone/blob/main/docs/runbook.md#"

// jiraLogAttributes are the names of the Jira log records of the full distribution
// (examples/full/jira-log.yaml) that the dashboards read: its resource identity and the keys
// found in the text, under the receiver's names.
var jiraLogAttributes = set("service.name", attrJira, "host.name", attrIntegration, "backbone.issue")

// subjects are the names an alert over a metric must name: the Jira always, the integration for
// everything but the API's own metrics, and the connector for metrics that carry it, unless
// the alert is about the integration as a whole (its name says so).
func (c catalogue) subjects(alert, metric string) []string {
	if strings.HasPrefix(alert, "BackboneIntegration") {
		return []string{attrJira, attrIntegration}
	}
	if strings.HasPrefix(metric, "backbone.api.") {
		return []string{attrJira}
	}
	for _, a := range c.Metrics[metric].Attributes {
		if a == attrConnector {
			return []string{attrJira, attrIntegration, attrConnector}
		}
	}
	return []string{attrJira, attrIntegration}
}

// unknownFields lists the fields a vendor model kept aside while decoding: anything in an
// AdditionalProperties or UnparsedObject field, at any depth, named by its path.
func unknownFields(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return unknownFields(v.Elem(), path)
	case reflect.Slice, reflect.Array:
		var out []string
		for i := range v.Len() {
			out = append(out, unknownFields(v.Index(i), path+"[]")...)
		}
		return out
	case reflect.Map:
		var out []string
		for _, k := range v.MapKeys() {
			out = append(out, unknownFields(v.MapIndex(k), path+"."+k.String())...)
		}
		return out
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			switch f.Name {
			case "AdditionalProperties":
				for _, k := range fv.MapKeys() {
					out = append(out, path+"."+k.String())
				}
			case "UnparsedObject":
				if !fv.IsZero() && !(fv.Kind() == reflect.Map && fv.Len() == 0) {
					out = append(out, path+" (not parsed)")
				}
			default:
				out = append(out, unknownFields(fv, path+"."+f.Name)...)
			}
		}
		return out
	}
	return nil
}

// runImport runs an import script against a local server that stands for the vendor's API
// and returns its output. It needs a POSIX shell, curl and jq, which the scripts document.
func runImport(t *testing.T, script string, handler http.HandlerFunc, env func(url string) []string) (string, error) {
	t.Helper()
	for _, tool := range []string{"sh", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	cmd := exec.Command("sh", script)
	cmd.Env = append(os.Environ(), env(srv.URL)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
