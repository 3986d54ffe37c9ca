//go:build linux

// Command backboneeventbench measures what watching the folders costs and gains, on the
// built collector with the receiver's defaults (collection_interval 60s) against the
// Backbone simulator with many integrations: the collector's CPU over a quiet window, how
// long after a message file appears (and leaves) its record reaches an OTLP backend, with
// and without change notification, and, under a steady stream of new messages, whether
// events keep up and memory stays flat.
//
// With -churn-tree it measures instead the collector's CPU per collection interval while
// messages move into the archive/ folders of a large tree (which the run changes), over one
// archive_interval (by default the receiver's), beside the same layout without archived
// files (-churn-tree-empty): what a live archive costs.
//
// With -storage it measures instead what the saved state costs while a few new messages a
// second arrive in error/ beside many already there, and beside none: the bytes written to
// storage a second, the growth of the file_storage folder and the collector's CPU.
// scripts/bench.sh runs all three.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the command line's settings.
type options struct {
	collector    string
	integrations int
	idle         time.Duration
	drops        int
	load         time.Duration
	rate         int
	seed         uint64

	churnTree            string // empty: the simulator measurements instead
	churnTreeEmpty       string
	churnInterval        time.Duration
	churnArchiveInterval time.Duration
	churnRate            int

	storage      bool
	storageKnown int
	storageRate  int
	storageFor   time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.collector, "collector", "", "path of the built otelcol-backbone binary (required)")
	flag.IntVar(&o.integrations, "integrations", 200, "integrations added to the simulator's default three")
	flag.DurationVar(&o.idle, "idle", 60*time.Second, "quiet window over which the collector's CPU is measured")
	flag.IntVar(&o.drops, "drops", 30, "messages dropped one by one to measure event latency")
	flag.DurationVar(&o.load, "load", 60*time.Second, "how long the steady stream of new messages runs (0: not at all)")
	flag.IntVar(&o.rate, "rate", 100, "new messages per second of the steady stream")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the driver's choices")
	flag.StringVar(&o.churnTree, "churn-tree", "", "backbone-issue-sync folder with archived files, which the run changes: measure only the collector's CPU while messages move into its archive/ folders")
	flag.StringVar(&o.churnTreeEmpty, "churn-tree-empty", "", "the same layout without archived files (required with -churn-tree)")
	flag.DurationVar(&o.churnInterval, "churn-interval", 5*time.Second, "collection_interval of the churn runs")
	flag.DurationVar(&o.churnArchiveInterval, "churn-archive-interval", 5*time.Minute, "archive_interval of the churn runs (the receiver's default), which the measure spans")
	flag.IntVar(&o.churnRate, "churn-rate", 100, "messages moved into archive/ per second")
	flag.BoolVar(&o.storage, "storage", false, "measure only the storage written and the collector's CPU while new messages arrive in error/ beside -storage-known others, and beside none")
	flag.IntVar(&o.storageKnown, "storage-known", 20_000, "messages in error/ before the new ones")
	flag.IntVar(&o.storageRate, "storage-rate", 2, "new messages a second")
	flag.DurationVar(&o.storageFor, "storage-for", 25*time.Second, "how long new messages arrive")
	flag.Parse()
	if o.collector == "" || o.integrations < 1 || o.idle <= 0 || o.drops < 1 || o.rate < 1 {
		fmt.Fprintln(os.Stderr, "backboneeventbench: -collector is required; -integrations, -idle, -drops and -rate must be positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.storage {
		if o.storageKnown < 1 || o.storageRate < 1 || o.storageFor <= 0 {
			fmt.Fprintln(os.Stderr, "backboneeventbench: -storage-known, -storage-rate and -storage-for must be positive")
			os.Exit(2)
		}
		if err := storage(ctx, o); err != nil {
			fmt.Fprintln(os.Stderr, "backboneeventbench:", err)
			os.Exit(1)
		}
		return
	}
	if o.churnTree != "" {
		if o.churnTreeEmpty == "" || o.churnInterval <= 0 || o.churnArchiveInterval < o.churnInterval || o.churnRate < 1 {
			fmt.Fprintln(os.Stderr, "backboneeventbench: -churn-tree needs -churn-tree-empty; -churn-interval and -churn-rate must be positive, -churn-archive-interval at least -churn-interval")
			os.Exit(2)
		}
		if err := churn(ctx, o); err != nil {
			fmt.Fprintln(os.Stderr, "backboneeventbench:", err)
			os.Exit(1)
		}
		return
	}
	for _, notify := range []bool{true, false} {
		if err := measure(ctx, o, notify); err != nil {
			fmt.Fprintln(os.Stderr, "backboneeventbench:", err)
			os.Exit(1)
		}
	}
}
