package backbonereceiver

import (
	"cmp"
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
	// listed without a status and with no fresh last known one: it is reported, in state
	// unknown.
	statusErrs map[string]error
	// staleErrs holds the failed status calls of integrations whose last known status is
	// reported instead.
	staleErrs map[string]error
	// statusAge is, by integration key, how long ago the status reported was read: 0 for
	// this tick's, more for a last known one kept while the API fails.
	statusAge map[string]time.Duration
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
	// known holds the integrations last read with a status, by key; only fetchAPI uses it.
	known map[string]knownIntegration
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
// a budget of its own (timeout, scan_timeout), so that a Jira that hangs cannot take the
// folder data with it, nor a share that hangs the API's.
func (r *reader) read(ctx context.Context) *snapshot {
	snap := &snapshot{time: r.now()}
	var wg sync.WaitGroup
	if r.client != nil {
		wg.Go(func() {
			apiCtx, cancel := context.WithTimeout(ctx, r.cfg.apiTimeout())
			defer cancel()
			snap.api = r.fetchAPI(apiCtx, snap.time)
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
// asks for the status of any integration listed without one, at most
// max_concurrent_requests calls at a time, all within ctx's deadline. An integration
// whose list or status could not be read keeps its last known state for
// status_stale_after.
func (r *reader) fetchAPI(ctx context.Context, now time.Time) *apiSnapshot {
	keys := r.cfg.ProjectKeys
	if len(keys) == 0 {
		keys = []string{""}
	}
	api := &apiSnapshot{
		statusErrs: map[string]error{}, statusAge: map[string]time.Duration{},
		staleErrs: map[string]error{}, unknownProjects: map[string]error{},
	}
	var (
		mu       sync.Mutex // guards api, byKey, listedBy and heldBack during the calls
		heldBack bool
		byKey    = map[string]backboneapi.Integration{}
		listedBy = map[string]string{}
		listErrs = make([]error, len(keys))
	)
	call := func(fn func() error) {
		start := time.Now()
		err := fn()
		took := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		if apiErr, ok := errors.AsType[*backboneapi.Error](err); ok && apiErr.Skipped {
			heldBack = heldBack || apiErr.Kind == backboneapi.KindAuth
			return
		}
		api.requested = true
		api.duration += took
		r.telemetry.BackboneAPICallDuration.Record(ctx, took.Seconds())
	}
	r.each(len(keys), func(i int) {
		key := keys[i]
		call(func() error {
			list, err := r.client.Integrations(ctx, key)
			mu.Lock()
			defer mu.Unlock()
			for _, it := range list { // a decode error may come with the integrations that decoded
				if it.IntegrationKey != "" {
					byKey[it.IntegrationKey], listedBy[it.IntegrationKey] = it, key
				}
			}
			if _, unknown := backboneapi.UnknownProject(err); unknown || (err == nil && key != "" && len(list) == 0) {
				api.unknownProjects[key] = err
				return nil
			}
			listErrs[i] = err
			return err
		})
	})
	// A list that failed stands for the integrations it returned last time: with their
	// last known state while it is fresh, unknown after.
	for key, k := range r.known {
		i := slices.Index(keys, k.listedBy)
		if _, listed := byKey[key]; listed || i < 0 || listErrs[i] == nil {
			continue
		}
		it := k.it
		if k.fresh(now, r.cfg.StatusStaleAfter) {
			api.statusAge[key] = now.Sub(k.readAt)
		} else {
			it.Status, it.Unread = nil, nil
			api.statusErrs[key] = listErrs[i]
		}
		byKey[key], listedBy[key] = it, k.listedBy
	}
	// The longest unread go first, so that a tick cut short by the timeout or the rate
	// limit leaves others for the next one.
	var missing []string
	for key, it := range byKey {
		if it.Status == nil {
			missing = append(missing, key)
		}
	}
	slices.SortFunc(missing, func(a, b string) int {
		return cmp.Or(r.known[a].readAt.Compare(r.known[b].readAt), strings.Compare(a, b))
	})
	r.each(len(missing), func(i int) {
		key := missing[i]
		call(func() error {
			st, err := r.client.IntegrationStatus(ctx, key)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if k, ok := r.known[key]; ok && k.fresh(now, r.cfg.StatusStaleAfter) && k.it.Status != nil {
					it := byKey[key]
					it.Status, it.Unread = k.it.Status, k.it.Unread
					byKey[key] = it
					api.statusAge[key] = now.Sub(k.readAt)
					api.staleErrs[key] = err
				} else {
					api.statusErrs[key] = err
				}
				return err
			}
			it := byKey[key]
			it.Status = st
			for _, field := range st.Unread {
				it.Unread = append(it.Unread, "status."+field)
			}
			byKey[key] = it
			return nil
		})
	})
	r.telemetry.BackboneAPIAuthBackoff.Record(ctx, boolToInt(heldBack))
	if tokens, known := r.client.RateLimitRemaining(); known {
		r.telemetry.BackboneAPIRateLimitRemaining.Record(ctx, int64(tokens))
	}
	known := make(map[string]knownIntegration, len(byKey))
	api.integrations = make([]backboneapi.Integration, 0, len(byKey))
	for key, it := range byKey {
		api.integrations = append(api.integrations, it)
		if _, kept := api.statusAge[key]; !kept && it.Status != nil {
			api.statusAge[key] = 0
			known[key] = knownIntegration{it: it, listedBy: listedBy[key], readAt: now}
		} else if k, ok := r.known[key]; ok {
			known[key] = k // not read this tick: it ages
		}
	}
	r.known = known
	slices.SortFunc(api.integrations, func(a, b backboneapi.Integration) int {
		return strings.Compare(a.IntegrationKey, b.IntegrationKey)
	})
	for _, err := range listErrs {
		if err != nil {
			api.err = err
			break
		}
	}
	return api
}

// knownIntegration is an integration as last read with its status.
type knownIntegration struct {
	it       backboneapi.Integration
	listedBy string    // the project key whose list returned it ("" for all)
	readAt   time.Time // when its status was read
}

func (k knownIntegration) fresh(now time.Time, staleAfter time.Duration) bool {
	return now.Sub(k.readAt) < staleAfter
}

// each runs fn(0) ... fn(n-1), at most max_concurrent_requests at a time, and waits for
// them all.
func (r *reader) each(n int, fn func(i int)) {
	slots := make(chan struct{}, r.cfg.MaxConcurrentRequests)
	var wg sync.WaitGroup
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			fn(i)
		})
	}
	wg.Wait()
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
