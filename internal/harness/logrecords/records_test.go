package logrecords

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestFlatten(t *testing.T) {
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	ld := plog.NewLogs()
	for _, key := range []string{"INT-15", "INT-16"} {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("backbone.integration.key", key)
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetEventName("backbone.message.error")
		lr.SetSeverityNumber(plog.SeverityNumberError)
		lr.SetSeverityText("ERROR")
		lr.Body().SetStr("message failed: " + key)
		lr.Attributes().PutStr("file.path", key+"/AP-29/RECEIVE/error/AP-1/000001.bac")
		lr.SetTimestamp(pcommon.NewTimestampFromTime(at))
	}
	ld.ResourceLogs().At(1).ScopeLogs().At(0).LogRecords().At(0).Body().SetInt(7)

	got := Flatten(ld)
	assert.Equal(t, []Record{
		{Resource: map[string]any{"backbone.integration.key": "INT-15"}, Event: "backbone.message.error",
			Severity: plog.SeverityNumberError, SeverityText: "ERROR", Body: "message failed: INT-15",
			Attrs: map[string]any{"file.path": "INT-15/AP-29/RECEIVE/error/AP-1/000001.bac"}, Time: at},
		{Resource: map[string]any{"backbone.integration.key": "INT-16"}, Event: "backbone.message.error",
			Severity: plog.SeverityNumberError, SeverityText: "ERROR", Body: "7",
			Attrs: map[string]any{"file.path": "INT-16/AP-29/RECEIVE/error/AP-1/000001.bac"}, Time: at},
	}, got)
	assert.Equal(t, "INT-16", got[1].ResourceAttr("backbone.integration.key"))
	assert.Equal(t, "INT-16/AP-29/RECEIVE/error/AP-1/000001.bac", got[1].Attr("file.path"))
	assert.Empty(t, got[1].Attr("missing"))
	assert.Empty(t, Flatten(plog.NewLogs()))
}
