#!/usr/bin/env bash
# Builds the otelcol-backbone collector distribution with the OpenTelemetry Collector Builder
# (ocb), pinned in tools/go.mod.
#
#   scripts/build-dist.sh [extra ocb flags, e.g. --verbose]
#
# Environment:
#   BUILDER_CONFIG  ocb manifest (default: builder-config.yaml in the repository root)
#   GO              go command ocb and this script use (default: go)
#   GOTOOLCHAIN_FULL  Go toolchain for builder-config-full.yaml (default: go1.27.3; the others: local)
#
# Incremental: ocb regenerates the sources, then `go mod tidy` and `go build` run in the output
# folder. Modules already in the module cache are not downloaded again and unchanged packages
# come from the build cache, so a rebuild after a receiver change only recompiles the receiver
# and relinks.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

go_cmd=${GO:-go}
config=${BUILDER_CONFIG:-builder-config.yaml}

# The full manifest carries k8sleaderelector v0.149.0, an older contrib release that builds
# against core v0.165.0 only with Go 1.27.3; the go command fetches that toolchain once (76 MB)
# and ocb's `go mod tidy` and `go build` run under it. The default manifest keeps the local Go,
# so the small distribution builds with nothing downloaded beyond its modules.
case "$(basename "$config")" in
builder-config-full.yaml) export GOTOOLCHAIN=${GOTOOLCHAIN_FULL:-go1.27.3} ;;
*) export GOTOOLCHAIN=local ;;
esac

if [ ! -f "$config" ]; then
	echo "build-dist: $config not found" >&2
	exit 1
fi

# dist.output_path and dist.name from the manifest (top-level `dist:` block, two-space indent).
dist_value() {
	sed -n '/^dist:/,/^[^[:space:]#]/{s/^  '"$1"':[[:space:]]*//p;}' "$config" |
		sed -e 's/[[:space:]]#.*$//' -e 's/^["'\'']//' -e 's/["'\'']$//' | head -n1
}
output_path=$(dist_value output_path)
name=$(dist_value name)
if [ -z "$output_path" ] || [ -z "$name" ]; then
	echo "build-dist: dist.output_path and dist.name must be set in $config" >&2
	exit 1
fi

# ocb creates output_path itself, but not its parent.
mkdir -p "$(dirname "$output_path")"

start=$(date +%s)
"$go_cmd" tool -modfile=tools/go.mod builder --config "$config" --skip-compilation=false "$@"
elapsed=$(($(date +%s) - start))

case "$output_path" in
/*) binary="$output_path/$name" ;;
*) binary="$root/${output_path#./}/$name" ;;
esac
if [ ! -x "$binary" ]; then
	echo "build-dist: ocb finished but $binary is missing" >&2
	exit 1
fi
size=$(du -k "$binary" | cut -f1)
echo "build-dist: built $binary ($((size / 1024)) MiB) in ${elapsed}s"
