#!/usr/bin/env bash
# Soak test: runs the built collector for minutes against the Backbone simulator under heavy
# churn (many integrations' traffic, error messages appearing and resolving, integrations
# stopped and restarted, partners going offline, the API failing in turns with every
# simulator fault, the OTLP backend refusing now and then, archive/ emptied every 10 s), with
# its state and exporter queue on file_storage. Every 10 s it prints the collector's RSS, heap,
# goroutines, threads, open files, CPU and storage size; at the end it checks that every
# message event arrived exactly once, that the collector never wrote to the tree, and whether
# resource use stayed flat (last third of the samples against the first third).
#
# Environment:
#   SOAK_DURATION      how long the churn runs (default 3m)
#   SOAK_INTEGRATIONS  integrations added to the simulator's three (default 200)
#   SOAK_SPEED         simulator steps per second, each moving every integration's traffic (default 2)
#   SOAK_EVENTS        error messages put per second (default 5)
#   SOAK_INTERVAL      the receiver's collection_interval (default 2s)
#   SOAK_SAMPLE        time between two samples (default 10s)
#   SOAK_SEED          seed of the simulator and the driver (default 1)
#   SOAK_RUN_AS        user the collector runs as when this runs as root (default nobody; empty: same user)
#   SOAK_COLLECTOR     collector binary (default dist/otelcol-backbone/otelcol-backbone; make build)
#   SOAK_KEEP          set to 1 to keep the work folder (tree, storage, collector log)
#
# Exit status: 0 all held; 1 an event lost or repeated, the tree written, or the collector
# failed; 2 resource use not flat.
#
# Usage: scripts/soak.sh                 (or: make soak)
#        SOAK_DURATION=30m SOAK_INTEGRATIONS=500 scripts/soak.sh
set -euo pipefail

cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

collector="${SOAK_COLLECTOR:-dist/otelcol-backbone/otelcol-backbone}"
if [[ ! -x "$collector" ]]; then
	echo "soak: no collector at $collector: run make build first" >&2
	exit 1
fi
collector="$(cd "$(dirname "$collector")" && pwd)/$(basename "$collector")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/backbonesoak" ./cmd/backbonesoak

keep=()
if [[ "${SOAK_KEEP:-}" == 1 ]]; then
	keep=(-keep)
fi
"$work/backbonesoak" \
	-collector "$collector" \
	-duration "${SOAK_DURATION:-3m}" \
	-integrations "${SOAK_INTEGRATIONS:-200}" \
	-speed "${SOAK_SPEED:-2}" \
	-events "${SOAK_EVENTS:-5}" \
	-interval "${SOAK_INTERVAL:-2s}" \
	-sample "${SOAK_SAMPLE:-10s}" \
	-seed "${SOAK_SEED:-1}" \
	-run-as "${SOAK_RUN_AS-nobody}" \
	"${keep[@]}"
