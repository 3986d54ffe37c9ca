#!/usr/bin/env bash
# Runs every fuzz target of the module, one after another, and prints for each the
# executions, the inputs that widened coverage and the findings.
#
# A finding (an input that fails a target) is written by go test to the package's
# testdata/fuzz/<target>/ folder and makes this script exit 1. Fix the bug, then commit
# that file: from then on plain `go test` runs it as a regression test, like the seeds
# already there.
#
# Environment:
#   FUZZTIME  time per target (default 30s); any -fuzztime value, e.g. 60s or 10000x.
#   TMPDIR    the folder-scan targets write a small tree per execution; when TMPDIR is
#             unset and /dev/shm is writable, it is used (several times faster).
#
# Usage: scripts/fuzz.sh [regexp]     (or: make fuzz)
#        FUZZTIME=60s scripts/fuzz.sh queuetree    only targets whose package or name matches
set -euo pipefail

cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

fuzztime="${FUZZTIME:-30s}"
filter="${1:-}"
if [[ -z "${TMPDIR:-}" && -d /dev/shm && -w /dev/shm ]]; then
	export TMPDIR=/dev/shm
fi

targets=()
while read -r dir; do
	rel="${dir#"$PWD"/}"
	for file in "$dir"/*_test.go; do
		[[ -e "$file" ]] || continue
		while read -r name; do
			[[ -n "$name" ]] && targets+=("$rel $name")
		done < <(sed -nE 's/^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\).*/\1/p' "$file")
	done
done < <(for m in . receiver/backbonereceiver internal/harness; do (cd "$m" && go list -f '{{.Dir}}' ./...); done)

if [[ -n "$filter" ]]; then
	selected=()
	for t in "${targets[@]}"; do
		if [[ "$t" =~ $filter ]]; then selected+=("$t"); fi
	done
	targets=("${selected[@]}")
fi
if [[ ${#targets[@]} -eq 0 ]]; then
	echo "no fuzz target matches '${filter}'" >&2
	exit 2
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
results=()
echo "fuzzing ${#targets[@]} targets for ${fuzztime} each (TMPDIR=${TMPDIR:-default})"
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "== $pkg $name"
	if (cd "$pkg" && go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" .) >"$log" 2>&1; then
		result="ok"
	else
		result="FAIL"
		status=1
	fi
	last="$(grep -E '^fuzz: elapsed: .*execs: ' "$log" | tail -n 1 || true)"
	execs="$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")"
	interesting="$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")"
	finding="$(sed -nE 's/.*Failing input written to (.*)$/\1/p' "$log" | head -n 1)"
	if [[ "$result" == "FAIL" ]]; then
		cat "$log"
		result="FAIL: ${finding:+$pkg/$finding}"
	fi
	results+=("$(printf '%-28s %-24s %12s %6s  %s' "$pkg" "$name" "${execs:-?}" "${interesting:-?}" "$result")")
done

echo
printf '%-28s %-24s %12s %6s  %s\n' package target executions new finding
printf '%s\n' "${results[@]}"
exit "$status"
