package backbonereceiver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// snapshot is what one tick learned about Backbone. It is the seam between reading (API
// client, folder scanner) and reporting (metrics, events): neither side knows the other.
type snapshot struct {
	time time.Time
	api  *apiSnapshot    // nil when no endpoint is configured
	tree *queuetree.Tree // nil when no directory is configured, or no scan was taken
	// scanStuck is when a folder listing that has not returned started (a share that does
	// not answer); zero when none is in flight.
	scanStuck time.Time
}

// apiSnapshot holds the integrations the API returned in one tick.
type apiSnapshot struct {
	integrations []backboneapi.Integration // unique, sorted by key
	// err is the first failed integrations list of this tick; nil when every list was
	// read (backbone.api.up). A project key that matches nothing is not a failure.
	err error
	// statusErrs holds, by integration key, the failed status call of an integration
	// listed without a status: it is reported, in state unknown.
	statusErrs map[string]error
	// unknownProjects maps each project_keys entry that matched nothing to why: Jira's
	// answer, or nil for an empty list.
	unknownProjects map[string]error
	duration        time.Duration // the sum of the calls that reached the server
	requested       bool          // false when the client held back every call (back-off)
}

// reader takes snapshots: it calls the API and walks the folder tree side by side.
type reader struct {
	cfg       *Config
	set       receiver.Settings
	telemetry *metadata.TelemetryBuilder
	now       func() time.Time // the time of a snapshot; tests move it instead of waiting

	http    *http.Client        // nil without endpoint, or before start
	client  *backboneapi.Client // likewise
	scanner *queuetree.Scanner  // nil without directory
	folders *folderLister       // runs the scanner's listings
}

func newReader(cfg *Config, set receiver.Settings, telemetry *metadata.TelemetryBuilder) *reader {
	r := &reader{cfg: cfg, set: set, telemetry: telemetry, now: time.Now}
	if cfg.Directory != "" {
		r.scanner = queuetree.NewScanner(queuetree.Options{
			Root:            cfg.Directory,
			ArchiveDetails:  cfg.ArchiveDetails,
			ArchiveInterval: cfg.ArchiveInterval,
		})
		r.folders = &folderLister{timeout: cfg.scanTimeout(), telemetry: telemetry}
	}
	return r
}

// start builds the HTTP client, in Start because auth extensions and TLS files need the host.
func (r *reader) start(ctx context.Context, host component.Host) error {
	if r.cfg.Endpoint == "" {
		return nil
	}
	if r.cfg.TLS.InsecureSkipVerify {
		r.set.Logger.Warn("tls.insecure_skip_verify is set: the Jira server's certificate is not verified")
	}
	httpClient, err := r.cfg.ToClient(ctx, host.GetExtensions(), r.set.TelemetrySettings)
	if err != nil {
		return err
	}
	client := backboneapi.NewClient(httpClient, backboneapi.Config{
		Endpoint: r.cfg.Endpoint,
		Username: r.cfg.Username,
		Password: string(r.cfg.Password),
		Token:    string(r.cfg.Token),
		AuthBackoff: backboneapi.Backoff{
			InitialInterval: r.cfg.AuthBackoff.InitialInterval,
			MaxInterval:     r.cfg.AuthBackoff.MaxInterval,
		},
	})
	r.http, r.client = httpClient, client
	return nil
}

func (r *reader) shutdown() {
	if r.http != nil {
		r.http.CloseIdleConnections()
	}
}

// read takes one snapshot. The API and the folder tree are read side by side, each within
// a budget of its own (apiTimeout, scan_timeout), so that a Jira that hangs cannot take the
// folder data with it, nor a share that hangs the API's.
func (r *reader) read(ctx context.Context, apiTimeout time.Duration) *snapshot {
	snap := &snapshot{time: r.now()}
	var wg sync.WaitGroup
	if r.client != nil {
		wg.Go(func() {
			apiCtx, cancel := context.WithTimeout(ctx, apiTimeout)
			defer cancel()
			snap.api = r.fetchAPI(apiCtx)
		})
	}
	if r.scanner != nil {
		snap.tree = r.folders.scan(ctx, r.scanner)
		snap.scanStuck = r.folders.stuckSince()
	}
	wg.Wait()
	return snap
}

// relist takes a snapshot of just the given watched folders or issue subfolders: no API
// call, no discovery. At a poll, where nothing tells what changed, only those whose folder
// changed since the previous poll are listed; as with notification, a message held for
// stuck_after in a folder that did not change is reported by the next full scan. It returns
// what it listed, the scope of the snapshot, or nil when a listing in flight has not
// returned, or this one did not in time.
func (r *reader) relist(ctx context.Context, folders []queuetree.Watched, poll bool) (*snapshot, []queuetree.Watched) {
	snap := &snapshot{time: r.now()}
	if snap.tree, folders = r.folders.relist(ctx, r.scanner, folders, poll); snap.tree == nil {
		return nil, nil
	}
	return snap, folders
}

// fetchAPI lists the integrations once per configured project key (or once for all) and
// asks for the status of any integration listed without one.
func (r *reader) fetchAPI(ctx context.Context) *apiSnapshot {
	keys := r.cfg.ProjectKeys
	if len(keys) == 0 {
		keys = []string{""}
	}
	api := &apiSnapshot{statusErrs: map[string]error{}, unknownProjects: map[string]error{}}
	heldBack := false
	byKey := map[string]backboneapi.Integration{}
	call := func(fn func() error) {
		start := time.Now()
		err := fn()
		if apiErr, ok := errors.AsType[*backboneapi.Error](err); ok && apiErr.Skipped {
			heldBack = heldBack || apiErr.Kind == backboneapi.KindAuth
		} else {
			took := time.Since(start)
			api.requested = true
			api.duration += took
			r.telemetry.BackboneAPICallDuration.Record(ctx, took.Seconds())
		}
	}
	var listErrs []error
	for _, key := range keys {
		call(func() error {
			list, err := r.client.Integrations(ctx, key)
			for _, it := range list { // a decode error may come with the integrations that decoded
				if it.IntegrationKey != "" {
					byKey[it.IntegrationKey] = it
				}
			}
			if _, unknown := backboneapi.UnknownProject(err); unknown || (err == nil && key != "" && len(list) == 0) {
				api.unknownProjects[key] = err
				return nil
			}
			if err != nil {
				listErrs = append(listErrs, err)
			}
			return err
		})
	}
	for key, it := range byKey {
		if it.Status != nil {
			continue
		}
		call(func() error {
			st, err := r.client.IntegrationStatus(ctx, key)
			if err != nil {
				api.statusErrs[key] = err
				return err
			}
			it.Status = st
			for _, field := range st.Unread {
				it.Unread = append(it.Unread, "status."+field)
			}
			byKey[key] = it
			return nil
		})
	}
	r.telemetry.BackboneAPIAuthBackoff.Record(ctx, boolToInt(heldBack))
	api.integrations = make([]backboneapi.Integration, 0, len(byKey))
	for _, it := range byKey {
		api.integrations = append(api.integrations, it)
	}
	slices.SortFunc(api.integrations, func(a, b backboneapi.Integration) int {
		return strings.Compare(a.IntegrationKey, b.IntegrationKey)
	})
	if len(listErrs) > 0 {
		api.err = listErrs[0]
	}
	return api
}

// jiraBaseURL identifies the Jira instance in resource attributes: the endpoint without
// credentials (Validate rejects them; this is the last guard before they would be printed),
// query or trailing slash.
func jiraBaseURL(endpoint string) string {
	if endpoint == "" {
		return ""
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return strings.TrimRight(u.String(), "/")
}
