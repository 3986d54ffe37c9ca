package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
)

// config is what the command line asks for.
type config struct {
	listen       string
	dir          string
	user         string
	password     string
	token        string
	contextPath  string
	captchaAfter int
	rate         float64
	burst        int
	seed         uint64
	speed        float64
	tick         time.Duration
	cycle        int
	fault        backbonesim.Fault
	quirks       backbonesim.Quirks
	details      map[string]string
	subfolder    bool
	projects     []string
	noScenario   bool
	clean        bool
	verbose      bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("backbonesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: backbonesim [flags]\n\nServes a simulated Jira with Backbone Issue Sync and keeps its folder tree alive.")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8095", "address to serve on (port 0 picks a free one)")
	fs.StringVar(&cfg.dir, "dir", "", "backbone-issue-sync folder to create the tree in (default: a new temporary folder)")
	fs.StringVar(&cfg.user, "user", backbonesim.DefaultUsername, "user accepted with HTTP Basic (empty: Basic auth off)")
	fs.StringVar(&cfg.password, "password", backbonesim.DefaultPassword, "its password")
	fs.StringVar(&cfg.token, "token", "", "personal access token accepted as Bearer (empty: none)")
	fs.StringVar(&cfg.contextPath, "context-path", "", `Jira's context path, e.g. "/jira"`)
	fs.IntVar(&cfg.captchaAfter, "captcha-after", backbonesim.DefaultCaptchaAfter, "failed logins before a CAPTCHA is required (negative: never)")
	fs.Float64Var(&cfg.rate, "rate", 0, "REST rate limit in requests per second (0: off)")
	fs.IntVar(&cfg.burst, "burst", 0, "rate limit burst (0: the rate rounded up)")
	fs.Uint64Var(&cfg.seed, "seed", 1, "scenario seed")
	fs.Float64Var(&cfg.speed, "speed", 1, "simulated time per wall time")
	fs.DurationVar(&cfg.tick, "tick", backbonesim.DefaultTick, "simulated time of one scenario step")
	fs.IntVar(&cfg.cycle, "cycle", backbonesim.DefaultCycle, "steps before the scripted phases repeat")
	fs.Func("fault", "answer every request with this fault: login-page, server-error, bad-gateway, malformed-json, truncated, hang, slow, wrong-shape", func(s string) error {
		f, err := backbonesim.ParseFault(s)
		cfg.fault = f
		return err
	})
	fs.Func("content-type", "label JSON answers json, text, none or octet-stream (default json)", func(s string) error {
		ct, err := backbonesim.ParseContentType(s)
		cfg.quirks.ContentType = ct
		return err
	})
	fs.Func("status-failure", "KEY[:CODE]: list integration KEY without its status and fail its status call with CODE (default 500)", func(s string) error {
		var err error
		cfg.quirks.StatusFailure, cfg.quirks.StatusFailureCode, err = backbonesim.ParseStatusFailure(s)
		return err
	})
	fs.BoolVar(&cfg.quirks.ChangedTypes, "changed-types", false, "send issuesInError and startTime as strings, online as \"true\", externalRouteStatus as a number")
	fs.Func("details", "CONNECTOR=TEXT: outgoingDetails shown for a connector from the start, e.g. PB-30=Partner not reachable (repeatable)", func(s string) error {
		key, text, ok := strings.Cut(s, "=")
		if !ok || key == "" {
			return errors.New("want CONNECTOR=TEXT")
		}
		if cfg.details == nil {
			cfg.details = map[string]string{}
		}
		cfg.details[key] = text
		return nil
	})
	fs.BoolVar(&cfg.subfolder, "unexpected-subfolder", false, "leave a message in a subfolder of sequence-error/, a layout Backbone does not document")
	fs.Func("project", "a project KEY that exists without integrations: a projectKey query for it answers [] (repeatable; unknown keys answer 404)", func(s string) error {
		if s == "" {
			return errors.New("empty project key")
		}
		cfg.projects = append(cfg.projects, s)
		return nil
	})
	fs.BoolVar(&cfg.noScenario, "no-scenario", false, "serve the default installation without running the scenario")
	fs.BoolVar(&cfg.clean, "clean", false, "remove the folder tree on exit")
	fs.BoolVar(&cfg.verbose, "v", false, "also log ordinary traffic")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return cfg, nil
}
