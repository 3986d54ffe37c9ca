#!/usr/bin/env bash
# Checks the Prometheus alerting rules in examples/prometheus/ and runs their unit tests.
# Needs promtool (Debian/Ubuntu: apt-get install prometheus; or from a Prometheus release).
set -euo pipefail
cd "$(dirname "$0")/.."

PROMTOOL=${PROMTOOL:-promtool}
if ! command -v "$PROMTOOL" >/dev/null 2>&1; then
	echo "promtest: promtool not found (looked for \"$PROMTOOL\")." >&2
	echo "promtest: install it (apt-get install prometheus) or set PROMTOOL to its path." >&2
	exit 1
fi

rules=examples/prometheus/backbone-alerts.yaml
tests=examples/prometheus/backbone-alerts.test.yaml

"$PROMTOOL" --version 2>&1 | head -n 1
"$PROMTOOL" check rules "$rules"
"$PROMTOOL" test rules "$tests"
