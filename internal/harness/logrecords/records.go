// Package logrecords flattens plog.Logs into a list of records, each with its resource, so
// that tests and the soak driver read what a collector emitted without walking resources,
// scopes and records by hand.
package logrecords

import (
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
)

// Record is one log record with its resource.
type Record struct {
	Resource     map[string]any
	Event        string
	Severity     plog.SeverityNumber
	SeverityText string
	Body         string // a body that is not a string, as text
	Attrs        map[string]any
	Time         time.Time
}

// Flatten returns the records of ld in the order they appear.
func Flatten(ld plog.Logs) []Record {
	var out []Record
	for _, rl := range ld.ResourceLogs().All() {
		res := rl.Resource().Attributes().AsRaw()
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				out = append(out, Record{
					Resource:     res,
					Event:        lr.EventName(),
					Severity:     lr.SeverityNumber(),
					SeverityText: lr.SeverityText(),
					Body:         lr.Body().AsString(),
					Attrs:        lr.Attributes().AsRaw(),
					Time:         lr.Timestamp().AsTime(),
				})
			}
		}
	}
	return out
}

// Attr returns the record's string attribute key, "" when absent or not a string.
func (r Record) Attr(key string) string {
	s, _ := r.Attrs[key].(string)
	return s
}

// ResourceAttr returns the record's string resource attribute key, "" when absent or not a
// string.
func (r Record) ResourceAttr(key string) string {
	s, _ := r.Resource[key].(string)
	return s
}
