# otelcol-backbone: the backbone receiver and the collector distribution that ships it.
SHELL := /bin/bash
export GOTOOLCHAIN := local
export GORACE := atexit_sleep_ms=0

GO        ?= go
DIST_DIR  := dist/otelcol-backbone
COLLECTOR := $(DIST_DIR)/otelcol-backbone
FULL      := dist/otelcol-backbone-full/otelcol-backbone-full
SIM       := bin/backbonesim
# A Prometheus 3 binary for the end-to-end test over OTLP (scripts/prometheus3.sh builds one);
# the test skips that run when it is empty.
PROMETHEUS3 ?=
# The Go modules of this repository: the distribution's support and tests, the receiver, and the
# test harness (simulator and helpers) both use.
MODULES   := . receiver/backbonereceiver internal/harness
# End-to-end packages: their tests run the built collector (they skip in `unit`, where
# BACKBONE_E2E_COLLECTOR is not set). e2e/prometheus also needs prometheus and promtool;
# e2e/leader runs the full distribution (BACKBONE_E2E_COLLECTOR_FULL).
E2E_PKGS  := ./e2e/ ./e2e/faults/ ./e2e/leader/ ./e2e/nfs/ ./packaging/ ./examples/kubernetes/

.PHONY: all build build-full collector sim run test unit e2e prometheus-test prometheus-tools failure-plot vet fmt-check generate bench fuzz soak package test-package clean

all: build

## build: the collector distribution (ocb) and the Backbone simulator
build: collector sim

collector:
	./scripts/build-dist.sh

## build-full: otelcol-backbone-full, the distribution plus the file_log receiver and the k8s_leader_elector
## extension (builder-config-full.yaml); built with Go 1.27.3, which the go command fetches once (about 5 min cold)
build-full: sim
	BUILDER_CONFIG=builder-config-full.yaml ./scripts/build-dist.sh

sim:
	$(GO) build -o $(SIM) ./cmd/backbonesim

## run: the collector on the built-in Backbone simulator, or on a real Jira when JIRA_URL is set
run: build
	./scripts/run.sh

## test: vet, formatting, unit tests with the race detector, the end-to-end tests on the built binary,
## and the alert rules and dashboard on a real Prometheus (needs promtool and prometheus on PATH)
test: fmt-check vet unit e2e prometheus-test

vet:
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) vet ./...); done

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^dist/')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit:
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) test -race -count=1 ./...); done

# One go test for all end-to-end packages: they run side by side, and their tests mostly wait
# on the collector, so -parallel 8 rather than one test per core.
# e2e/leader needs the full distribution: two replicas electing a leader through a Lease.
e2e: build build-full
	BACKBONE_E2E_COLLECTOR=$(abspath $(COLLECTOR)) BACKBONE_E2E_COLLECTOR_FULL=$(abspath $(FULL)) \
		$(GO) test -count=1 -parallel 8 -v $(E2E_PKGS)

## prometheus-test: promtool checks and unit tests of the alert rules, then rules and dashboard on a real Prometheus
## (by scrape; also over OTLP when PROMETHEUS3 names a Prometheus 3 binary, which scripts/prometheus3.sh builds)
prometheus-test: build prometheus-tools
	./scripts/promtest.sh
	BACKBONE_E2E_COLLECTOR=$(abspath $(COLLECTOR)) BACKBONE_E2E_PROMETHEUS3=$(PROMETHEUS3) $(GO) test -count=1 -v ./e2e/prometheus/

# The tests of the alert rules need prometheus and promtool on PATH (Debian's package
# `prometheus`, which .ci/run installs).
prometheus-tools:
	@command -v promtool >/dev/null && command -v prometheus >/dev/null || \
		{ echo "prometheus and promtool are needed on PATH: apt-get install prometheus (as root)" >&2; exit 1; }

## failure-plot: redraw docs/images/failure-scenario.png from a run on a real Prometheus
failure-plot: build
	BACKBONE_E2E_COLLECTOR=$(abspath $(COLLECTOR)) BACKBONE_E2E_PLOT=docs/images/failure-scenario.png $(GO) test -count=1 -run 'TestPrometheusEndToEnd' ./e2e/prometheus/

## generate: regenerate the receiver's metadata code and documentation from metadata.yaml
generate:
	cd receiver/backbonereceiver && $(GO) generate ./...

## bench: folder scan benchmarks against find on a synthetic tree (BENCH_ARCHIVE=5000 for 1,000,000 files),
## then, on the built collector, its CPU while messages move into archive/, idle CPU, event latency and a steady message stream
bench: collector
	./scripts/bench.sh

## fuzz: every fuzz target, one after another, FUZZTIME each (default 30s); findings land in the package's testdata/fuzz/
fuzz:
	./scripts/fuzz.sh

## soak: the built collector for minutes under heavy simulator churn; RSS, heap, goroutines over time (SOAK_DURATION=3m)
soak: build
	./scripts/soak.sh

## package: .deb and .rpm packages of the collector in dist/packages/ (the binary's version, dist.version in builder-config.yaml; RELEASE=1)
package: collector
	./scripts/package.sh

## test-package: as root: install the .deb here, check it, run it as its user on the simulator, purge it
test-package: build
	./scripts/test-package.sh

clean:
	rm -rf dist bin
