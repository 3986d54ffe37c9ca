package collectoryaml

import (
	"strconv"
	"strings"
	"time"
)

// Config is a test collector: the backbone receiver in a metrics and a logs pipeline, both to
// one otlp_http exporter or each to a file.
type Config struct {
	Receiver Receiver
	Exporter Exporter // unless Files is set
	Files    *Files
	// Storage is the folder of a file_storage extension, which the receiver (Receiver.Extra)
	// and the queue (Queue.Persistent) name as "file_storage"; empty: no extension.
	Storage string
	// Processors is the processors block, each processor indented by two spaces; the
	// pipelines name theirs in MetricsProcessors and LogsProcessors.
	Processors                        string
	MetricsProcessors, LogsProcessors []string
	// MetricsOnly leaves the logs pipeline out.
	MetricsOnly bool
	// Telemetry is the service's telemetry block starting with a newline
	// (selfmetrics.TelemetryYAML); empty turns the collector's own metrics off.
	Telemetry string
}

// Files are the files a file exporter per pipeline writes. With rotation set, the file exporter
// writes every batch straight to the file (without it, it buffers and flushes once a second)
// and appends to a file left by an earlier run.
type Files struct {
	Metrics, Logs string
}

// Exporter is the otlp_http exporter's settings; zero values leave the exporter's defaults.
type Exporter struct {
	Endpoint string
	// Compression is "none" for a backend that reads the body as sent; empty: gzip.
	Compression string
	Timeout     time.Duration
	Queue       *Queue
	Retry       *Retry
}

// Queue is the exporter's sending_queue.
type Queue struct {
	Disabled   bool
	Persistent bool // on the file_storage extension, so it survives a restart
	Size       int  // queue_size; 0: default
	Consumers  int  // num_consumers; 0: default
}

// Retry is the exporter's retry_on_failure. MaxElapsed is always written: 0 retries for ever.
type Retry struct {
	Disabled                 bool
	Initial, Max, MaxElapsed time.Duration
}

// YAML is the whole configuration.
func (c Config) YAML() string {
	var b strings.Builder
	b.WriteString("receivers:" + c.Receiver.YAML())
	if c.Storage != "" {
		b.WriteString("extensions:\n  file_storage:\n    directory: " + strconv.Quote(c.Storage) + "\n")
	}
	if c.Processors != "" {
		b.WriteString("processors:\n" + c.Processors)
	}
	metrics, logs := "otlp_http", "otlp_http"
	if c.Files != nil {
		metrics, logs = "file/metrics", "file/logs"
		b.WriteString("exporters:\n" + fileExporter(metrics, c.Files.Metrics) + fileExporter(logs, c.Files.Logs))
	} else {
		b.WriteString("exporters:\n  otlp_http:\n" + c.Exporter.yaml())
	}
	b.WriteString("service:\n")
	if c.Storage != "" {
		b.WriteString("  extensions: [file_storage]\n")
	}
	b.WriteString("  pipelines:\n")
	pipeline(&b, "metrics", c.MetricsProcessors, metrics)
	if !c.MetricsOnly {
		pipeline(&b, "logs", c.LogsProcessors, logs)
	}
	if c.Telemetry == "" {
		b.WriteString("  telemetry:\n    metrics:\n      level: none\n")
	} else {
		b.WriteString(strings.TrimPrefix(c.Telemetry, "\n") + "\n")
	}
	return b.String()
}

func pipeline(b *strings.Builder, name string, processors []string, exporter string) {
	b.WriteString("    " + name + ":\n      receivers: [backbone]\n")
	if len(processors) > 0 {
		b.WriteString("      processors: [" + strings.Join(processors, ", ") + "]\n")
	}
	b.WriteString("      exporters: [" + exporter + "]\n")
}

func fileExporter(name, path string) string {
	return "  " + name + ":\n    path: " + strconv.Quote(path) + "\n    rotation:\n      max_megabytes: 100\n"
}

func (e Exporter) yaml() string {
	var b strings.Builder
	b.WriteString("    endpoint: " + strconv.Quote(e.Endpoint) + "\n")
	if e.Compression != "" {
		b.WriteString("    compression: " + e.Compression + "\n")
	}
	if e.Timeout > 0 {
		b.WriteString("    timeout: " + e.Timeout.String() + "\n")
	}
	if q := e.Queue; q != nil {
		b.WriteString("    sending_queue:\n")
		switch {
		case q.Disabled:
			b.WriteString("      enabled: false\n")
		case q.Persistent:
			b.WriteString("      storage: file_storage\n")
		}
		if q.Size > 0 {
			b.WriteString("      queue_size: " + strconv.Itoa(q.Size) + "\n")
		}
		if q.Consumers > 0 {
			b.WriteString("      num_consumers: " + strconv.Itoa(q.Consumers) + "\n")
		}
	}
	if r := e.Retry; r != nil {
		b.WriteString("    retry_on_failure:\n")
		if r.Disabled {
			b.WriteString("      enabled: false\n")
		} else {
			if r.Initial > 0 {
				b.WriteString("      initial_interval: " + r.Initial.String() + "\n")
			}
			if r.Max > 0 {
				b.WriteString("      max_interval: " + r.Max.String() + "\n")
			}
			b.WriteString("      max_elapsed_time: " + r.MaxElapsed.String() + "\n")
		}
	}
	return b.String()
}
