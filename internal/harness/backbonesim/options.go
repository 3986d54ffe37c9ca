package backbonesim

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"time"
)

// Defaults applied to zero Options fields.
const (
	DefaultUsername     = "monitor"
	DefaultPassword     = "monitor"
	DefaultCaptchaAfter = 3
	DefaultTick         = time.Second
	DefaultCycle        = 120
)

// minCycle keeps every scripted phase of the scenario on a tick of its own.
const minCycle = 20

// defaultEpoch is the simulated clock's origin when Options.Epoch is zero: a few seconds
// after the start times in the vendor's examples, so that the default installation answers
// with exactly those start times and runs are reproducible.
var defaultEpoch = time.UnixMilli(1484063320000).In(time.FixedZone("CET", 3600))

// Options configures a Sim. Only Dir is required.
type Options struct {
	// Dir is the backbone-issue-sync folder (JIRA_HOME/data/backbone-issue-sync).
	Dir string
	// Username and Password are the Basic credentials Jira accepts. When they and Token
	// are all empty, DefaultUsername and DefaultPassword apply. An empty Username with a
	// Token behaves like a Jira whose admin switched Basic auth off.
	Username string
	Password string
	// Token is the personal access token accepted as "Authorization: Bearer"; empty
	// refuses every bearer token.
	Token string
	// ContextPath is Jira's context path, e.g. "/jira".
	ContextPath string
	// CaptchaAfter is Jira's "Maximum Authentication Attempts Allowed": 0 means
	// DefaultCaptchaAfter, negative never asks for a CAPTCHA.
	CaptchaAfter int
	// RateLimit switches on Jira DC's REST rate limiting when PerSecond > 0.
	RateLimit RateLimit
	// Projects are further project keys that exist in this Jira without an
	// integration: a projectKey filter on them answers [] instead of 404.
	Projects []string
	// Empty starts without the default installation.
	Empty bool
	// Quirks are answers a tolerant client must read as data; SetQuirks changes them.
	Quirks Quirks
	// Details are outgoingDetails texts shown from the start, by connector key, e.g.
	// {"PB-30": "Partner not reachable"}; SetDetails changes them.
	Details map[string]string
	// UnexpectedSubfolder puts a message into a subfolder of a folder that Backbone
	// keeps flat (default/INT-16/PB-30/RECEIVE/sequence-error/held/), a layout the
	// vendor does not document. It needs the default installation.
	UnexpectedSubfolder bool
	// Seed makes the scenario reproducible.
	Seed uint64
	// Speed multiplies simulated time against wall time in Run (0 means 1).
	Speed float64
	// Tick is the simulated time one Step stands for (0 means DefaultTick).
	Tick time.Duration
	// Cycle is the number of Steps after which the scripted phases repeat (0 means
	// DefaultCycle; at least 20).
	Cycle int
	// Epoch is the simulated time before the first Step; start times derive from it.
	// Zero means a fixed date matching the vendor's examples.
	Epoch time.Time
	// Logger receives one line per scenario event; nil discards them.
	Logger *slog.Logger
}

// RateLimit mirrors Jira DC's token bucket: Burst requests at once, refilled at
// PerSecond.
type RateLimit struct {
	PerSecond float64
	// Burst is the bucket size; 0 means max(1, ceil(PerSecond)).
	Burst int
}

// withDefaults validates o and fills in its zero fields.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	if o.Dir == "" {
		errs = append(errs, errors.New(`"Dir" must be specified`))
	} else {
		abs, err := filepath.Abs(o.Dir)
		if err != nil {
			errs = append(errs, fmt.Errorf(`"Dir": %w`, err))
		}
		o.Dir = abs
	}
	if o.ContextPath != "" {
		o.ContextPath = "/" + strings.Trim(o.ContextPath, "/")
		if o.ContextPath == "/" {
			o.ContextPath = ""
		}
	}
	if o.Username == "" && o.Password == "" && o.Token == "" {
		o.Username, o.Password = DefaultUsername, DefaultPassword
	}
	if o.CaptchaAfter == 0 {
		o.CaptchaAfter = DefaultCaptchaAfter
	}
	if o.RateLimit.PerSecond < 0 || math.IsNaN(o.RateLimit.PerSecond) || o.RateLimit.Burst < 0 {
		errs = append(errs, errors.New(`"RateLimit" must not be negative`))
	}
	if o.RateLimit.PerSecond > 0 && o.RateLimit.Burst == 0 {
		o.RateLimit.Burst = max(1, int(math.Ceil(o.RateLimit.PerSecond)))
	}
	if o.Speed == 0 {
		o.Speed = 1
	}
	if o.Speed < 0 || math.IsNaN(o.Speed) || math.IsInf(o.Speed, 0) {
		errs = append(errs, errors.New(`"Speed" must be positive`))
	}
	if o.Tick == 0 {
		o.Tick = DefaultTick
	}
	if o.Tick < 0 {
		errs = append(errs, errors.New(`"Tick" must be positive`))
	}
	if o.Cycle == 0 {
		o.Cycle = DefaultCycle
	}
	if o.Cycle < minCycle {
		errs = append(errs, fmt.Errorf(`"Cycle" must be at least %d`, minCycle))
	}
	if o.Epoch.IsZero() {
		o.Epoch = defaultEpoch
	}
	if o.Empty && o.UnexpectedSubfolder {
		errs = append(errs, errors.New(`"UnexpectedSubfolder" needs the default installation, not "Empty"`))
	}
	if _, ok := contentTypeHeaders[o.Quirks.ContentType]; !ok {
		errs = append(errs, fmt.Errorf(`"Quirks.ContentType": unknown label %q`, o.Quirks.ContentType))
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, errors.Join(errs...)
}
