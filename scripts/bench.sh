#!/usr/bin/env bash
# Benchmarks the folder tree scanner (internal/queuetree) on synthetic Backbone
# trees and prints, from one run:
#   walker, full scan   CPU (user + system) of a reference walker (getdents64,
#                       d_type, no stat, one thread: the physical limit) and of
#                       a full scan, interleaved in one process, and their
#                       ratio; target: at most 1.2 on the 1,000,000-file tree
#                       (a smaller archive leaves more weight to the few files
#                       a scan stats in each connector's small folders)
#   full / find         a first scan against `find <tree> -type f | wc -l`, wall
#                       time; must stay at or below 1.5
#   unchanged / full    a scan of an unchanged tree between two listings of
#                       archive/; must stay at or below 0.1
# the heap still in use after a scan, which must not grow with archive/, and,
# side by side, the CPU of one scan of a 2,000-integration tree (first and
# unchanged) and of one receiver tick reading 1,000 and 2,000 integrations from
# the API, unchanged and all changed, next to the cost of copying the metrics of
# such a tick (the floor of any emit of them), and the time, ticks and calls a full refresh of
# 1,000 integrations listed without status takes (50 ms a status call), with Jira's rate
# limiting off and at 10 requests a second. The load average is printed before and after: on a shared machine,
# compare the ratios, not the absolute times.
# Then one events_poll_interval poll of 200 integrations' watched folders, as on a network
# file system where nothing is notified (internal/queuetree BenchmarkPollWatched): CPU and,
# with strace, file-system calls per poll, with nothing changed and with one new message,
# beside a re-list of every watched folder (BenchmarkListWatched). About two minutes.
# Then the built collector's CPU per collection interval (5 s) while 100 messages
# a second move into archive/ folders (cmd/backboneeventbench -churn-tree), over
# one archive_interval at its default (archive/ is listed once in it), on a tree
# of the same size built for it (the moves change it) and on the same layout
# without archived files; their difference is the archive's CPU per interval.
# About 11 minutes.
# Then the saved state's cost on the built collector (cmd/backboneeventbench -storage): storage
# bytes written per second, growth of the file_storage folder and CPU while 2 new messages a
# second arrive in error/ for 25 s beside 20,000 others (200 issue folders), and beside none.
# Then the cost of the polls where the tree is on a network file system (cmd/backbonenfsbench,
# root and /dev/fuse needed): the built collector on a 200-integration tree seen through a FUSE
# mount that caches like NFS, over quiet polls: its CPU, the requests that reach the share and
# its system calls (strace), per poll.
# Then, on the built collector with its defaults and the simulator with 200
# integrations (cmd/backboneeventbench): idle CPU, event latency with and without
# change notification, and a steady stream of new messages (memory, keep-up).
#
# Environment:
#   BENCH_ARCHIVE       archived messages per connector (default 500: about
#                       100,000 files). BENCH_ARCHIVE=5000 builds the reference
#                       tree of 1,001,600 files (about 4 GB of disk, 1 minute).
#   BENCH_INTEGRATIONS  integrations, each with two connectors (default 100).
#   BENCH_DIR           folder for the trees, reused by later runs with the same
#                       size (default: a temporary folder removed on exit).
#   BENCH_FIND_RUNS     timed find runs before and after the Go benchmarks
#                       (default 5 each).
#   BENCH_EVENT_IDLE    quiet window for the idle CPU (default 60s).
#   BENCH_EVENT_DROPS   messages dropped one by one for the latency (default 30).
#   BENCH_EVENT_LOAD    how long 100 new messages/s run (default 60s; 0s: skip).
#   BENCH_POLL_TREE     folder of the poll's tree (e.g. on a network file system),
#                       built there by the benchmark (default: a temporary folder).
#   BENCH_POLL=0        skips the poll.
#   BENCH_CHURN=0       skips the collector's CPU under moves into archive/.
#   BENCH_STORAGE=0     skips the saved state's cost.
#   BENCH_NFS=0         skips the polls on the network file system.
#   BENCH_NFS_POLLS     quiet polls measured on it, each way (default 12).
#   BENCH_EVENTS=0      skips the collector's idle CPU, event latency and stream.
#
# Usage: scripts/bench.sh             (or: make bench)
#        BENCH_ARCHIVE=5000 BENCH_DIR=/var/tmp/bbtree scripts/bench.sh
set -euo pipefail

cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

archive="${BENCH_ARCHIVE:-500}"
integrations="${BENCH_INTEGRATIONS:-100}"
find_runs="${BENCH_FIND_RUNS:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
base="${BENCH_DIR:-$work/tree}"
tree="$base/backbone-issue-sync"
# The many-integrations tree: 2,000 integrations, 4,000 connectors, a few
# archived messages each (between its listings, archive/ costs nothing,
# whatever its size).
many_integrations=2000
many_archive=5
many="$base/many/backbone-issue-sync"
# The trees of the collector under moves into archive/: the moves change them, so they are
# built anew at every run, never reused.
churn="$base/churn"
collector="$PWD/dist/otelcol-backbone/otelcol-backbone"

# build_tree DIR INTEGRATIONS ARCHIVE writes the backbone-issue-sync folder DIR
# unless one of the same size is there already.
build_tree() {
	local tree=$1 params want
	params="$(dirname "$tree")/backbonetree.params"
	want="integrations=$2 archive=$3"
	if [[ -d "$tree" ]]; then
		if [[ -f "$params" && "$(<"$params")" == "$want" ]]; then
			echo "reusing $tree ($want)"
			return
		fi
		if [[ ! -f "$params" ]]; then
			echo "$tree exists but was not written by this script; choose another BENCH_DIR" >&2
			exit 1
		fi
		echo "removing $tree ($(<"$params")) to build $want"
		rm -rf "$tree" "$params"
	fi
	mkdir -p "$(dirname "$tree")"
	go run ./cmd/backbonetree -dir "$tree" -integrations "$2" -archive "$3"
	echo "$want" >"$params"
}

# load prints the load averages over 1, 5 and 15 minutes.
load() { cut -d' ' -f1-3 /proc/loadavg; }

# now_ns prints the time in nanoseconds.
now_ns() { date +%s%N; }

# time_find appends the wall time of one find run, in ns, to $work/find.
time_find() {
	local start end
	start=$(now_ns)
	files=$(find "$tree" -type f | wc -l)
	end=$(now_ns)
	echo $((end - start)) >>"$work/find"
}

# median prints the median of the numbers in a file, one a line.
median() {
	local n
	n=$(wc -l <"$1")
	sort -g "$1" | head -n $(((n + 1) / 2)) | tail -n 1
}

# record splits `go test -bench` result lines into $work/<benchmark>.<unit>
# files, one value a line.
record() {
	local line f i name
	while IFS= read -r line; do
		echo "$line"
		[[ "$line" == Benchmark* ]] || continue
		read -r -a f <<<"$line"
		name="${f[0]%-*}"
		name="${name//\//_}"
		for ((i = 2; i + 1 < ${#f[@]}; i += 2)); do
			echo "${f[i]}" >>"$work/$name.${f[i + 1]//\//_}"
		done
	done
}

# ms prints nanoseconds as milliseconds with one decimal.
ms() {
	local v=${1%.*}
	printf '%d.%d' $((v / 1000000)) $((v / 100000 % 10))
}

# ratio prints a/b with two decimals.
ratio() {
	local a=${1%.*} b=${2%.*} r
	if ((b == 0)); then
		printf 'n/a'
		return
	fi
	r=$((a * 100 / b))
	printf '%d.%02d' $((r / 100)) $((r % 100))
}

# bench runs benchmarks of a package of the receiver module (default internal/queuetree) and
# records their results.
bench() {
	(cd receiver/backbonereceiver && go test -run '^$' -bench "$1" -benchtime "$2" -count "$3" "${4:-./internal/queuetree/}") | record
}

build_tree "$tree" "$integrations" "$archive"
build_tree "$many" "$many_integrations" "$many_archive"
load_before=$(load)
echo "warming the page cache"
find "$tree" "$many" >/dev/null
find "$tree" -type f >/dev/null

files=0
for ((i = 0; i < find_runs; i++)); do time_find; done

# A first scan costs about 0.25 us a file; stat'ing every file ten times more.
total=$((integrations * 2 * archive))
if ((total >= 500000)); then
	fast=10x details=2x vs=10x
else
	fast=50x details=5x vs=20x
fi
export BACKBONE_BENCH_TREE="$tree" BACKBONE_BENCH_MANY_TREE="$many"
bench '^BenchmarkScanVsWalker$' "$vs" 3
bench '^BenchmarkScan(Full|Unchanged)$' "$fast" 5
bench '^BenchmarkScanFullArchiveDetails$' "$details" 3
bench '^BenchmarkLiveHeap$' 1x 1
bench '^BenchmarkScanManyIntegrations$' 3x 3
bench '^BenchmarkTickAPI$' 20x 3 ./
bench '^BenchmarkRefreshManyIntegrations$' 1x 1 ./

for ((i = 0; i < find_runs; i++)); do time_find; done
load_after=$(load)

find_ns=$(median "$work/find")
full=$(median "$work/BenchmarkScanFull.ns_op")
unchanged=$(median "$work/BenchmarkScanUnchanged.ns_op")
details_ns=$(median "$work/BenchmarkScanFullArchiveDetails.ns_op")
scanned=$(median "$work/BenchmarkScanFull.files_op")
scanned=${scanned%.*}
heap=$(median "$work/BenchmarkLiveHeap.live-B")

echo
echo "load average (1, 5, 15 min): $load_before before, $load_after after"
echo "tree: $tree, $files files (find), $scanned messages (scan)"
printf '%-34s %12s %10s\n' "what" "median ms" "ratio"
printf '%-34s %12s %10s\n' "find -type f | wc -l ($((find_runs * 2)) runs)" "$(ms "$find_ns")" ""
printf '%-34s %12s %10s\n' "scan, full" "$(ms "$full")" "$(ratio "$full" "$find_ns") x find"
printf '%-34s %12s %10s\n' "scan, unchanged" "$(ms "$unchanged")" "$(ratio "$unchanged" "$full") x full"
printf '%-34s %12s %10s\n' "scan, full with archive details" "$(ms "$details_ns")" "$(ratio "$details_ns" "$find_ns") x find"
printf 'live heap after a scan: %d KiB\n' $((${heap%.*} / 1024))
printf 'CPU (user + system), interleaved in one run, median of 3: reference walker %s ms, full scan %s ms, ratio %s (target 1.2 at 1,000,000 files)\n' \
	"$(median "$work/BenchmarkScanVsWalker.walker-cpu-ms_op")" "$(median "$work/BenchmarkScanVsWalker.scan-cpu-ms_op")" \
	"$(median "$work/BenchmarkScanVsWalker.scan_walker")"
echo "2,000 integrations, CPU per interval:"
printf '  tree of 4,000 connectors: %s ms a first scan, %s ms a scan with nothing changed\n' \
	"$(median "$work/BenchmarkScanManyIntegrations_scan=full.cpu-ms_op")" \
	"$(median "$work/BenchmarkScanManyIntegrations_scan=unchanged.cpu-ms_op")"
tick() { median "$work/BenchmarkTickAPI_integrations=$1_$2.cpu-ms_tick"; }
times_copy() { awk -v t="$(tick "$1" "$2")" -v c="$(tick "$1" copy)" 'BEGIN { if (c > 0) printf "%.2f", t / c; else printf "n/a" }'; }
echo "one tick from the API (decode, state sets, records, emit), CPU:"
for n in 1000 2000; do
	printf '  %s integrations: %s ms with the list unchanged (%s x copy), %s ms with every integration changed (%s x copy); copying its %s data points alone %s ms\n' \
		"$n" "$(tick "$n" list=unchanged)" "$(times_copy "$n" list=unchanged)" \
		"$(tick "$n" list=changed)" "$(times_copy "$n" list=changed)" \
		"$(median "$work/BenchmarkTickAPI_integrations=${n}_copy.points")" "$(tick "$n" copy)"
done
echo "  (target: at most 2.5 x copy)"
refresh() { median "$work/BenchmarkRefreshManyIntegrations_$1.$2"; }
echo "a full refresh of 1,000 integrations listed without status (1,001 calls at least), 50 ms a status call, max_concurrent_requests 8:"
for run in "rate=off_timeout=10s:rate limiting off, timeout 10s" "rate=jira_timeout=1m0s:rate limiting at 10 a second (100 at most), timeout 60s"; do
	printf '  %s: %s s in %s tick(s), %s calls, %s answered 429\n' "${run#*:}" \
		"$(refresh "${run%%:*}" s_refresh)" "$(refresh "${run%%:*}" ticks_refresh | cut -d. -f1)" \
		"$(refresh "${run%%:*}" calls_refresh)" "$(refresh "${run%%:*}" 429s_refresh)"
done
echo "  (target: within one 60 s interval; at 10 requests a second 1,001 calls need about 90 s)"

# poll_calls BENCHMARK prints the file-system calls per poll of a benchmark of
# internal/queuetree, from strace counts of 1 and 21 polls: their difference leaves out
# building the tree and the first scan.
poll_calls() {
	local n calls=()
	for n in 1 21; do
		strace -f -c -o "$work/strace" -e trace=newfstatat,lstat,statx,openat,getdents64,close \
			"$work/queuetree.test" -test.run '^$' -test.bench "$1" -test.benchtime "${n}x" >/dev/null
		calls+=("$(awk '$NF == "total" { print $4 }' "$work/strace")")
	done
	echo $(((calls[1] - calls[0]) / 20))
}

if [[ "${BENCH_POLL:-1}" != 0 ]]; then
	echo
	echo "one poll of the watched folders of 200 integrations (1,200 folders), nothing notified:"
	export BACKBONE_BENCH_POLL_TREE="${BENCH_POLL_TREE:-}"
	bench '^Benchmark(PollWatched|ListWatched)$' 50x 1 >/dev/null
	poll() { median "$work/BenchmarkPollWatched_changed=$1.$2"; }
	calls=(n/a n/a n/a)
	if command -v strace >/dev/null; then
		(cd receiver/backbonereceiver && go test -c -o "$work/queuetree.test" ./internal/queuetree/)
		calls=("$(poll_calls 'PollWatched/changed=none')" "$(poll_calls 'PollWatched/changed=one')" "$(poll_calls '^BenchmarkListWatched$')")
	fi
	printf '  %-40s %8s%% of a core at 5 s, %5s file-system calls, %s folders listed\n' \
		"nothing changed:" "$(poll none cpu-%@5s)" "${calls[0]}" "$(printf '%.0f' "$(poll none listed_op)")" \
		"one new message:" "$(poll one cpu-%@5s)" "${calls[1]}" "$(printf '%.0f' "$(poll one listed_op)")" \
		"every folder re-listed (no stat first):" "$(median "$work/BenchmarkListWatched.cpu-%@5s")" "${calls[2]}" 1200
fi

if [[ "${BENCH_CHURN:-1}" != 0 ]]; then
	echo
	echo "the built collector while 100 messages a second move into archive/:"
	rm -rf "$churn"
	build_tree "$churn/archived/backbone-issue-sync" "$integrations" "$archive"
	build_tree "$churn/empty/backbone-issue-sync" "$integrations" 0
	echo "load average (1, 5, 15 min) before: $(load)"
	go run ./cmd/backboneeventbench -collector "$collector" \
		-churn-tree "$churn/archived/backbone-issue-sync" -churn-tree-empty "$churn/empty/backbone-issue-sync"
	echo "load average (1, 5, 15 min) after: $(load)"
	rm -rf "$churn"
fi

if [[ "${BENCH_STORAGE:-1}" != 0 ]]; then
	echo
	echo "the saved state on the built collector, new messages in error/ beside many and beside none:"
	go run ./cmd/backboneeventbench -collector "$collector" -storage
fi

if [[ "${BENCH_NFS:-1}" != 0 ]]; then
	echo
	echo "polls on a network file system (cmd/backbonenfsbench: the tree through a FUSE mount that caches like NFS), 200 integrations:"
	if [[ $EUID -ne 0 || ! -e /dev/fuse ]]; then
		echo "  skipped: the mount needs root and /dev/fuse"
	else
		build_tree "$base/nfs/backbone-issue-sync" 200 50
		go run ./cmd/backbonenfsbench -collector "$collector" -tree "$base/nfs/backbone-issue-sync" -polls "${BENCH_NFS_POLLS:-12}"
	fi
fi

if [[ "${BENCH_EVENTS:-1}" != 0 ]]; then
	echo
	echo "events on the built collector (dist/otelcol-backbone/otelcol-backbone), receiver defaults:"
	go run ./cmd/backboneeventbench -collector "$collector" \
		-idle "${BENCH_EVENT_IDLE:-60s}" -drops "${BENCH_EVENT_DROPS:-30}" -load "${BENCH_EVENT_LOAD:-60s}"
fi
