#!/usr/bin/env bash
# Measures what a first `make build` costs on a fresh machine: empty Go module and build
# caches (fresh temporary folders, removed afterwards), then ocb's module download and code
# generation, the compile of the distribution, and the simulator. Prints the wall time of each
# step and the modules that cost the most compile time (from `go build -debug-actiongraph`).
#
#   scripts/cold-build.sh [builder-config.yaml]
#
# Slow by design (minutes): it downloads and compiles everything once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export GOTOOLCHAIN=local
config=${1:-builder-config.yaml}
work=$(mktemp -d "${TMPDIR:-/tmp}/cold-build.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
export GOMODCACHE=$work/mod GOCACHE=$work/build GOFLAGS=-modcacherw

dist_value() {
	sed -n '/^dist:/,/^[^[:space:]#]/{s/^  '"$1"':[[:space:]]*//p;}' "$config" | sed -e 's/[[:space:]]#.*$//' | head -n1
}
out=$(dist_value output_path)
name=$(dist_value name)
mkdir -p "$(dirname "$out")"

t0=$(date +%s)
go tool -modfile=tools/go.mod builder --config "$config" --skip-compilation >"$work/ocb.log" 2>&1
t1=$(date +%s)
(cd "$out" && go build -trimpath -o "$name" -ldflags='-s -w' -debug-actiongraph="$work/graph.json" .)
t2=$(date +%s)
go build -o bin/backbonesim ./cmd/backbonesim
t3=$(date +%s)

echo "cold-build: $config"
echo "  ocb (compile ocb, download modules, generate): $((t1 - t0)) s"
echo "  compile the distribution:                      $((t2 - t1)) s"
echo "  compile the simulator:                         $((t3 - t2)) s"
echo "  total:                                         $((t3 - t0)) s"
echo "  module cache: $(du -sm "$GOMODCACHE" | cut -f1) MiB; binary: $(($(du -k "$out/$name" | cut -f1) / 1024)) MiB"
echo "  compile CPU seconds by module (top 25):"
(cd "$out" && go list -deps -f '{{.ImportPath}} {{with .Module}}{{.Path}}{{else}}std{{end}}' .) >"$work/modules.txt"
python3 - "$work/graph.json" "$work/modules.txt" <<'PY'
import json, sys
from collections import defaultdict
from datetime import datetime

def t(s):  # RFC 3339 with nanoseconds: keep microseconds
    s = s.rstrip("Z")
    head, _, frac = s.partition(".")
    return datetime.fromisoformat(head + "." + (frac + "000000")[:6])

module = dict(line.split() for line in open(sys.argv[2]) if line.strip())
cost = defaultdict(float)
for a in json.load(open(sys.argv[1])):
    if a.get("Mode") == "build" and a.get("TimeStart") and a.get("TimeDone"):
        cost[module.get(a.get("Package", ""), "std")] += (t(a["TimeDone"]) - t(a["TimeStart"])).total_seconds()
total = sum(cost.values())
print(f"    {total:7.1f} s  all packages")
for m, s in sorted(cost.items(), key=lambda kv: -kv[1])[:25]:
    print(f"    {s:7.1f} s  {m}")
PY
