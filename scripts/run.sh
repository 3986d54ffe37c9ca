#!/usr/bin/env bash
# Runs the collector on the built-in Backbone simulator, or on a real Jira when JIRA_URL is set.
# Ctrl-C stops both and removes the simulator's tree.
set -euo pipefail
cd "$(dirname "$0")/.."

collector=dist/otelcol-backbone/otelcol-backbone
sim=bin/backbonesim
work=$(mktemp -d "${TMPDIR:-/tmp}/otelcol-backbone-run.XXXXXX")
sim_pid=""

cleanup() {
	trap - EXIT INT TERM
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null || true
		wait "$sim_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${JIRA_URL:-}" ]; then
	port=${SIM_PORT:-8095}
	# SIM_FLAGS adds simulator flags, split on spaces, e.g. "-content-type text -changed-types".
	# shellcheck disable=SC2086
	"$sim" -listen "127.0.0.1:$port" -dir "$work/backbone-issue-sync" -user monitor -password monitor \
		-speed "${SIM_SPEED:-1}" -clean ${SIM_FLAGS:-} &
	sim_pid=$!
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.1
	done
	export JIRA_URL="http://127.0.0.1:$port" JIRA_USERNAME=monitor JIRA_PASSWORD=monitor
	export BACKBONE_DIRECTORY="$work/backbone-issue-sync"
	echo "Backbone simulator on $JIRA_URL, folder tree in $BACKBONE_DIRECTORY"
else
	echo "Jira at $JIRA_URL${BACKBONE_DIRECTORY:+, folder tree in $BACKBONE_DIRECTORY}"
fi
export BACKBONE_STATE_DIR="${BACKBONE_STATE_DIR:-$work/state}"
echo "Prometheus metrics on http://127.0.0.1:${PROMETHEUS_PORT:-9464}/metrics; Ctrl-C stops."
"$collector" --config examples/demo.yaml
