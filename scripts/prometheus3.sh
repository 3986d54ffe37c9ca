#!/usr/bin/env bash
# Builds Prometheus 3 (the module's v0.316.0 is Prometheus 3.x) for the end-to-end test over
# OTLP ingestion, once: Debian's package is 2.x, which has no OTLP receiver. The binary is kept
# in a cache outside the repository, so that a fresh clone on the same machine reuses it; the
# first build takes about five minutes and 145 MB (no web UI assets; the HTTP API works).
# Prints the binary's path.
set -euo pipefail

version=v0.316.0
dir=${PROMETHEUS3_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otelcol-backbone/prometheus-$version}
bin=$dir/prometheus
if [ ! -x "$bin" ]; then
	mkdir -p "$dir"
	echo "prometheus3: building Prometheus $version into $dir" >&2
	GOTOOLCHAIN=local GOBIN=$dir go install "github.com/prometheus/prometheus/cmd/prometheus@$version" >&2
fi
echo "$bin"
