#!/usr/bin/env bash
# Tests the otelcol-backbone .deb on this machine, as an administrator would use it: builds the
# packages, installs the .deb, checks its files, owners, modes, user and systemd unit, upgrades
# it with a changed configuration, runs the installed collector with the installed
# configuration as the service user against the Backbone simulator, then removes and purges
# the package. Leaves the machine as it found it. On the way it damages the receiver's state
# file and checks that the unit's ExecStartPre= moves it aside, so that the collector starts
# instead of panicking in bbolt.
#
#   sudo scripts/test-package.sh
#
# Needs root, dpkg, setpriv, curl and a machine where otelcol-backbone is not installed (the
# test refuses to touch an existing installation). Builds the collector and the simulator when
# they are missing (make build builds them fresh). Without a running systemd (a container) the
# unit is checked with systemd-analyze but not started: the run as the service user stands in
# for it, with the unit's command lines (ExecStartPre=, ExecStart=), user, environment file and
# state directory, and the file system part of its sandbox approximated in a private mount
# namespace (unshare): read-only file system, private /tmp, no /home, a /proc showing only the
# service's own processes (ProtectProc=invisible, ProcSubset=pid), and a user namespace that
# maps only the service user (PrivateUsers=). The unit's exposure rating
# (systemd-analyze security) must be at most 2.0.
#
# Environment:
#   (the packages carry the built binary's version, dist.version in builder-config.yaml)
#   RUN_SECONDS   how long the collector runs at most (default 20; it stops as soon as the
#                 receiver's data is in the sending queue)
#   KEEP_WORK=1   keep the temporary folder (simulator tree, logs) for a look afterwards
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
root=$(pwd)

export GOTOOLCHAIN=local
export DEBIAN_FRONTEND=noninteractive
go_cmd=${GO:-go}
version=$(scripts/version.sh)
run_seconds=${RUN_SECONDS:-20}

name=otelcol-backbone
svc_user=otelcol-backbone
bin_path=/usr/bin/otelcol-backbone
check_path=/usr/bin/otelcol-backbone-statecheck
unit_path=/lib/systemd/system/otelcol-backbone.service
etc_dir=/etc/otelcol-backbone
config_path=$etc_dir/config.yaml
env_path=$etc_dir/otelcol-backbone.conf
state_dir=/var/lib/otelcol-backbone
collector=dist/otelcol-backbone/otelcol-backbone
max_exposure=2.0
sim=bin/backbonesim

passed=0
failed=0
started=$(date +%s)
work=""
tree_root=""
sim_pid=""
col_pid=""
account_files=(/etc/passwd /etc/group /etc/shadow /etc/gshadow)
declare -A account_sums=()

say() { printf '\n== %s\n' "$*"; }
ok() {
	passed=$((passed + 1))
	printf '  ok    %s\n' "$*"
}
bad() {
	failed=$((failed + 1))
	printf '  FAIL  %s\n' "$*"
}
note() { printf '  note  %s\n' "$*"; }
# check DESCRIPTION COMMAND...: one check, passed when the command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}
# check_not DESCRIPTION COMMAND...: passed when the command fails.
check_not() {
	local desc=$1
	shift
	if "$@"; then bad "$desc"; else ok "$desc"; fi
}
# abort MESSAGE: a failure that leaves nothing sensible to check after it.
abort() {
	bad "$*"
	exit 1
}

# stat_is PATH MODE OWNER GROUP
stat_is() {
	local got
	got=$(stat -c '%a %U %G' "$1" 2>/dev/null) || return 1
	[ "$got" = "$2 $3 $4" ] || {
		echo "        $1: mode/owner/group are '$got', want '$2 $3 $4'"
		return 1
	}
}

pkg_status() { dpkg-query -W -f='${db:Status-Abbrev}' "$name" 2>/dev/null | tr -d ' '; }
installed() { [ "$(pkg_status)" = ii ]; }
user_exists() { getent passwd "$svc_user" >/dev/null; }
group_exists() { getent group "$svc_user" >/dev/null; }

free_port() {
	local port
	for _ in $(seq 100); do
		port=$((20000 + RANDOM % 12000)) # below the ephemeral range
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

stop_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$col_pid" ] && stop_pid "$col_pid"
	[ -n "$sim_pid" ] && stop_pid "$sim_pid"
	if [ -n "$work" ]; then
		# Everything below ran only after the machine was found clean: put it back.
		if [ -n "$(pkg_status)" ]; then
			echo "cleanup: purging $name"
			dpkg --purge "$name" >/dev/null 2>&1 || true
		fi
		if user_exists; then userdel "$svc_user" 2>/dev/null || true; fi
		if group_exists; then groupdel "$svc_user" 2>/dev/null || true; fi
		rm -rf "$state_dir" "$etc_dir"
		[ -n "$tree_root" ] && rm -rf "$tree_root"
		if [ "${KEEP_WORK:-}" = 1 ]; then
			echo "cleanup: kept $work"
		else
			rm -rf "$work"
		fi
	fi
	echo
	echo "test-package: $(($(date +%s) - started))s"
	echo "$passed passed, $failed failed"
	if [ "$failed" -gt 0 ] && [ "$rc" -eq 0 ]; then rc=1; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Preconditions"
[ "$(id -u)" -eq 0 ] || abort "runs as root (it installs a package and creates a user)"
for tool in dpkg dpkg-deb dpkg-query setpriv runuser curl getent useradd userdel stat od; do
	command -v "$tool" >/dev/null || abort "needs $tool"
done
if [ -n "$(pkg_status)" ] || user_exists || group_exists || [ -e "$etc_dir" ] || [ -e "$state_dir" ] ||
	[ -e "$bin_path" ] || [ -e "$check_path" ] || [ -e "$unit_path" ]; then
	abort "$name is already on this machine (package, user, $etc_dir, $state_dir, $bin_path or the unit): this test would change it"
fi
ok "running as root; $name is not installed, no $svc_user user or group, no $etc_dir or $state_dir"
for f in "${account_files[@]}"; do
	[ -e "$f" ] && account_sums[$f]=$(sha256sum <"$f")
done
work=$(mktemp -d "${TMPDIR:-/tmp}/otelcol-backbone-test-package.XXXXXX")
# The service user must be able to reach the simulator's tree below it.
chmod 0755 "$work"

say "Build"
if [ ! -x "$collector" ]; then
	./scripts/build-dist.sh || abort "building the collector"
fi
if [ ! -x "$sim" ]; then
	"$go_cmd" build -o "$sim" ./cmd/backbonesim || abort "building the simulator"
fi
RELEASE=1 ./scripts/package.sh >"$work/package.log" 2>&1 || {
	cat "$work/package.log"
	abort "scripts/package.sh (deb and rpm)"
}
arch=$("$go_cmd" env GOARCH)
deb=dist/packages/${name}_${version}-1_${arch}.deb
rpms=(dist/packages/"$name-$version-1".*.rpm)
rpm=${rpms[0]}
check "scripts/package.sh built $deb" test -s "$deb"
check "scripts/package.sh built ${rpm:-the .rpm}" test -s "$rpm"
# A second release of the same version, to test an upgrade.
RELEASE=2 OUT_DIR="$work/upgrade" ./scripts/package.sh deb >>"$work/package.log" 2>&1 ||
	abort "building the upgrade package (release 2)"
deb2=$work/upgrade/${name}_${version}-2_${arch}.deb

say "The .deb's metadata"
fields=$(dpkg-deb -f "$deb" Package Version Architecture Pre-Depends)
check "control: Package $name, Version $version-1, Architecture $arch, Pre-Depends passwd" \
	test "$fields" = "$(printf 'Package: %s\nVersion: %s-1\nArchitecture: %s\nPre-Depends: passwd' "$name" "$version" "$arch")"
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles 2>/dev/null | sort | tr '\n' ' ')
check "conffiles: $config_path and $env_path" test "$conffiles" = "$config_path $env_path "
for script in preinst postinst prerm postrm; do
	check "maintainer script $script is there" sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -t | grep -qx './$script'"
done
if command -v rpm >/dev/null; then
	check "the .rpm marks both configuration files %config(noreplace)" \
		sh -c "[ \"\$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' '$rpm' | grep -c '^cn ')\" = 2 ]"
	check "the .rpm installs $env_path 0640 root:$svc_user" \
		sh -c "rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' '$rpm' | grep -qx -- '-rw-r----- root:$svc_user $env_path'"
else
	note "rpm is not installed: the .rpm's contents were not inspected"
fi

say "Install ($deb)"
if dpkg -i "$deb" </dev/null >"$work/dpkg-install.log" 2>&1; then
	ok "dpkg -i"
else
	cat "$work/dpkg-install.log"
	abort "dpkg -i $deb"
fi
check "dpkg reports $name $version-1 installed" \
	test "$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$name" | tr -d ' ')" = "ii$version-1"
check "dpkg registered both conffiles" \
	sh -c "[ \"\$(dpkg-query -W -f='\${Conffiles}\n' $name | awk 'NF {print \$1}' | sort | tr '\n' ' ')\" = '$config_path $env_path ' ]"
check "the install printed how to configure and enable the service" grep -q 'systemctl enable --now otelcol-backbone' "$work/dpkg-install.log"

say "Files, modes and owners"
check "$bin_path 0755 root:root" stat_is "$bin_path" 755 root root
check "$unit_path 0644 root:root" stat_is "$unit_path" 644 root root
check "$etc_dir 0755 root:root" stat_is "$etc_dir" 755 root root
check "$config_path 0644 root:root" stat_is "$config_path" 644 root root
check "$env_path 0640 root:$svc_user (secrets: not world-readable)" stat_is "$env_path" 640 root "$svc_user"
check "$config_path is the default config of packaging/" cmp -s "$config_path" packaging/config.yaml
check "$env_path is the default environment file of packaging/" cmp -s "$env_path" packaging/otelcol-backbone.conf
check "$bin_path is the collector that was packaged" cmp -s "$bin_path" "$collector"
check "$check_path 0755 root:root" stat_is "$check_path" 755 root root
check "$check_path is the state check scripts/package.sh built" cmp -s "$check_path" "dist/statecheck/linux_$arch/otelcol-backbone-statecheck"
check "no state directory yet ($state_dir is systemd's StateDirectory=)" test ! -e "$state_dir"

say "The service user"
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd "$svc_user")
sys_uid_max=$(awk '$1 == "SYS_UID_MAX" {print $2}' /etc/login.defs 2>/dev/null)
check "user $svc_user exists" user_exists
check "group $svc_user exists and is the user's primary group" test "$(getent group "$svc_user" | cut -d: -f3)" = "$gid"
check "uid $uid is a system uid (<= ${sys_uid_max:-999})" test "$uid" -le "${sys_uid_max:-999}" -a "$uid" -gt 0
check "shell $shell does not allow a login" sh -c "case '$shell' in */nologin | */false) exit 0 ;; *) exit 1 ;; esac"
check "home $home is the state directory, not created" test "$home" = "$state_dir" -a ! -e "$home"
check "the user has no password (locked)" sh -c "getent shadow '$svc_user' | cut -d: -f2 | grep -qxE '[!*].*'"
check "the user is in no other group" test "$(id -Gn "$svc_user")" = "$svc_user"

say "The systemd unit"
unit_has() { grep -qx "$1" "$unit_path"; }
for directive in "User=$svc_user" "Group=$svc_user" "EnvironmentFile=$env_path" "ProtectSystem=strict" \
	"StateDirectory=otelcol-backbone" "NoNewPrivileges=yes" "PrivateTmp=yes" "ProtectHome=yes" \
	"Restart=on-failure" "WantedBy=multi-user.target"; do
	check "unit: $directive" unit_has "$directive"
done
check "unit: ReadOnlyPaths= names the Backbone tree" grep -qE '^ReadOnlyPaths=-?/.*/data/backbone-issue-sync$' "$unit_path"
check "unit: no ReadWritePaths= (the only writable place is the state directory)" sh -c "! grep -q '^ReadWritePaths=' '$unit_path'"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit_path")
check "unit: ExecStart runs $bin_path with $config_path" \
	test "${exec_start%% *}" = "$bin_path" -a -n "$(grep -o -- "--config=$config_path" <<<"$exec_start")"
exec_start_pre=$(sed -n 's/^ExecStartPre=//p' "$unit_path")
check "unit: ExecStartPre runs $check_path, as the service user (no + or ! prefix)" test "$exec_start_pre" = "$check_path"
if command -v systemd-analyze >/dev/null; then
	# verify exits 0 on unknown keys, so its messages about this unit count as failures too.
	if out=$(systemd-analyze verify "$unit_path" 2>&1) && ! grep -q 'otelcol-backbone' <<<"$out"; then
		ok "systemd-analyze verify $unit_path: no complaint"
	else
		bad "systemd-analyze verify $unit_path:"
		printf '        %s\n' "$out"
	fi
	exposure=$(systemd-analyze security --offline=yes "$unit_path" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: *//p')
	exposure=${exposure%% *}
	check "systemd-analyze security --offline=yes: exposure ${exposure:-unknown}, at most $max_exposure" \
		awk -v e="$exposure" -v max="$max_exposure" 'BEGIN { exit !(e != "" && e + 0 <= max + 0) }'
else
	note "systemd-analyze is not installed: the unit's syntax was not verified"
fi
if [ -d /run/systemd/system ]; then
	note "systemd runs here, but this test does not start the unit; after configuring: systemctl start $name"
else
	note "systemd is not running here (PID 1 is $(ps -o comm= -p 1 2>/dev/null || echo unknown)): the unit was not started;"
	note "the run below approximates its file system sandbox, ProtectProc=, ProcSubset= and PrivateUsers=;"
	note "Restart= and the kernel-side hardening (PrivateDevices=, ProtectKernel*=, Restrict*=,"
	note "SystemCallFilter=, MemoryDenyWriteExecute=) were not exercised"
fi

say "The binary"
check "$bin_path --version" sh -c "'$bin_path' --version | grep -q 'otelcol-backbone'"
check "$bin_path components lists the backbone receiver" sh -c "'$bin_path' components | grep -qE '^ *- name: backbone$'"

say "Configure, then upgrade to release 2 (conffiles kept)"
sim_token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
dead_port=$(free_port) || abort "no free local port"
health_port=$(free_port) || abort "no free local port"
telemetry_port=$(free_port) || abort "no free local port"
# The tree lives outside /tmp and /var/tmp, which the unit's PrivateTmp= hides, and outside
# /home and /root (ProtectHome=): like a real shared home.
tree_parent=/srv
[ -d "$tree_parent" ] || tree_parent=/var/lib
tree_root=$(mktemp -d "$tree_parent/otelcol-backbone-test.XXXXXX") || abort "creating a folder in $tree_parent"
chmod 0755 "$tree_root"
tree=$tree_root/jira-shared/data/backbone-issue-sync
mkdir -p "$tree_root/jira-shared/data"
"$root/$sim" -listen 127.0.0.1:0 -dir "$tree" -user monitor -password monitor -token "$sim_token" \
	-speed 30 >"$work/sim.log" 2>&1 &
sim_pid=$!
sim_url=""
for _ in $(seq 100); do
	sim_url=$(sed -n 's/^backbonesim: Jira base URL //p' "$work/sim.log")
	[ -n "$sim_url" ] && break
	kill -0 "$sim_pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$sim_url" ] || {
	cat "$work/sim.log"
	abort "the simulator did not start"
}
ok "simulator on $sim_url, tree in $tree"
# What an administrator writes into the environment file.
cat >>"$env_path" <<EOF

# Set by scripts/test-package.sh
JIRA_URL=$sim_url
JIRA_TOKEN=$sim_token
BACKBONE_DIRECTORY=$tree
BACKBONE_COLLECTION_INTERVAL=1s
OTLP_ENDPOINT=http://127.0.0.1:$dead_port
HEALTH_CHECK_ENDPOINT=127.0.0.1:$health_port
OTELCOL_TELEMETRY_PORT=$telemetry_port
EOF
cp "$env_path" "$work/env-configured"
if dpkg -i "$deb2" </dev/null >"$work/dpkg-upgrade.log" 2>&1; then
	ok "dpkg -i $(basename "$deb2") (upgrade, no conffile prompt)"
else
	cat "$work/dpkg-upgrade.log"
	abort "upgrading to $deb2"
fi
check "dpkg reports $name $version-2 installed" \
	test "$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$name" | tr -d ' ')" = "ii$version-2"
check "the changed $env_path was kept" cmp -s "$env_path" "$work/env-configured"
check "$env_path still 0640 root:$svc_user" stat_is "$env_path" 640 root "$svc_user"
check "the user was kept, same uid $uid" test "$(id -u "$svc_user" 2>/dev/null)" = "$uid"

say "Run the installed collector as $svc_user (what the unit would start)"
# Like systemd's StateDirectory=otelcol-backbone with StateDirectoryMode=0750.
install -d -m 0750 -o "$svc_user" -g "$svc_user" "$state_dir"
as_service() {
	# The unit's user, no capabilities, no new privileges, an empty environment but for PATH.
	setpriv --reuid="$svc_user" --regid="$svc_user" --init-groups --no-new-privs \
		--inh-caps=-all --bounding-set=-all \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
found=$(as_service find "$tree" -maxdepth 4 -name RECEIVE -print 2>&1)
check "$svc_user can read the Backbone tree (finds its RECEIVE folders)" test -n "$found" -a -z "$(grep -v '/RECEIVE$' <<<"$found")"
check_not "$svc_user cannot write to the Backbone tree" as_service touch "$tree/written-by-test" 2>/dev/null
check "$svc_user reads $env_path (group) and the installed config validates" \
	as_service /bin/sh -c "set -a; . '$env_path'; set +a; exec $bin_path validate --config=$config_path"
# What systemd's sandbox does, approximated in a private mount namespace (when this machine
# allows one): ProtectSystem=strict (every mount read-only but /dev, /proc, /sys and the state
# directory), ReadOnlyPaths= (the tree is read-only with the rest), PrivateTmp= (empty /tmp and
# /var/tmp), ProtectHome= (/home, /root, /run/user inaccessible), ProtectProc=invisible and
# ProcSubset=pid (a /proc of its own with hidepid=invisible,subset=pid).
# shellcheck disable=SC2016 # expanded by the sandbox's shell
sandbox_script='
set -e
state=$1
shift
mount --bind "$state" "$state"
for mp in $(awk "{print \$5}" /proc/self/mountinfo | sort -u); do
	case "$mp" in
	/proc | /proc/* | /sys | /sys/* | /dev | /dev/* | "$state") continue ;;
	esac
	mount -o remount,bind,ro "$mp"
done
for d in /tmp /var/tmp; do mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$d"; done
for d in /home /root /run/user; do
	if [ -d "$d" ]; then mount -t tmpfs -o ro,mode=000 tmpfs "$d"; fi
done
mount -t proc -o nosuid,nodev,noexec,hidepid=invisible,subset=pid proc /proc
cd /
exec "$@"
'
sandbox=()
if unshare --mount --propagation private /bin/sh -c "$sandbox_script" sandbox "$state_dir" true 2>"$work/sandbox.log"; then
	sandbox=(unshare --mount --propagation private /bin/sh -c "$sandbox_script" sandbox "$state_dir")
	ok "sandbox like the unit's: read-only file system but $state_dir, private /tmp, no /home and /root, /proc of its own processes"
else
	note "no private mount namespace here ($(head -n1 "$work/sandbox.log")): the collector runs without the unit's sandbox"
fi
# PrivateUsers=: a user namespace in which only the service user and group are mapped (systemd
# also maps root, which this unprivileged approximation cannot).
userns=()
if as_service unshare --user --map-user="$uid" --map-group="$gid" true 2>"$work/userns.log"; then
	userns=(unshare --user --map-user="$uid" --map-group="$gid")
	ok "a user namespace like PrivateUsers=: only $svc_user mapped"
	# The namespace hides other owners and groups, not the access they grant: a file of a group
	# the user is a member of (as a Jira tree's group can be) stays readable, a non-member's not.
	probe_gid=""
	for g in $(seq 64990 64999); do
		getent group "$g" >/dev/null || {
			probe_gid=$g
			break
		}
	done
	probe=$tree_root/group-only
	if [ -n "$probe_gid" ] && echo probe >"$probe" && chown "root:$probe_gid" "$probe" && chmod 0640 "$probe"; then
		in_userns() {
			local groups=$1
			shift
			setpriv --reuid="$svc_user" --regid="$svc_user" "$groups" --no-new-privs \
				"${userns[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
		}
		shown=$(in_userns --groups="$probe_gid" stat -c %G "$probe" 2>&1)
		read_back=$(in_userns --groups="$probe_gid" cat "$probe" 2>&1)
		check "in it, a member of group $probe_gid (shown there as $shown) reads a file of that group, mode 0640" \
			test "$read_back" = probe
		check_not "in it, a non-member cannot read that file" in_userns --clear-groups cat "$probe" 2>/dev/null
		rm -f "$probe"
	else
		note "no free group id in 64990..64999: group access in the user namespace not tried"
	fi
else
	note "no user namespace here ($(head -n1 "$work/userns.log")): PrivateUsers= is not approximated"
fi
# unit_command LINE: one of the unit's command lines as systemd runs it: in the sandbox, as the
# unit's user without capabilities or new privileges, in its user namespace, with the
# environment file read as that user (mode 0640, group $svc_user) and $OTELCOL_OPTIONS split
# as systemd does. Every step execs: run in the background, $! is the command itself.
unit_command() {
	cd / && exec "${sandbox[@]}" setpriv --reuid="$svc_user" --regid="$svc_user" --init-groups --no-new-privs \
		--inh-caps=-all --bounding-set=-all \
		"${userns[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/sh -c "set -a; . '$env_path'; set +a; exec $1"
}
# ExecStartPre=, on a state directory that is still empty: nothing to check, nothing to say.
(unit_command "$exec_start_pre") >"$work/statecheck-first.log" 2>&1
check "ExecStartPre= ($exec_start_pre) succeeds on the empty state directory, silently" \
	test $? -eq 0 -a ! -s "$work/statecheck-first.log"
(unit_command "$exec_start") >"$work/collector.log" 2>&1 &
col_pid=$!
healthy=false
queued=false
metrics_url=http://127.0.0.1:$telemetry_port/metrics
for _ in $(seq $((run_seconds * 5))); do
	kill -0 "$col_pid" 2>/dev/null || break
	if [ "$healthy" = false ] && curl -fsS -o /dev/null "http://127.0.0.1:$health_port/" 2>/dev/null; then
		healthy=true
	fi
	# The exporter's persistent queue holds what could not be sent (the endpoint is down).
	if [ "$healthy" = true ] && grep -rqa 'backbone.folder.messages' "$state_dir" 2>/dev/null &&
		grep -rqa 'backbone.api.up' "$state_dir" 2>/dev/null; then
		queued=true
		break
	fi
	sleep 0.2
done
running=false
kill -0 "$col_pid" 2>/dev/null && running=true
accepted=$(curl -fsS "$metrics_url" 2>/dev/null | awk '/^otelcol_receiver_accepted_metric_points\{.*receiver="backbone"/ {s += $NF} END {print s + 0}')
col_user=$(ps -o user= -p "$col_pid" 2>/dev/null | tr -d ' ')
check "the collector is running (pid $col_pid)" test "$running" = true
check "it runs as $svc_user" test "$col_user" = "$svc_user"
if [ ${#sandbox[@]} -gt 0 ]; then
	mount_opts() { awk -v mp="$1" '$5 == mp {split($6, o, ","); print o[1]}' "$work/collector-mountinfo" | tail -n1; }
	cp "/proc/$col_pid/mountinfo" "$work/collector-mountinfo" 2>/dev/null || : >"$work/collector-mountinfo"
	check "in its sandbox / is read-only, $state_dir writable, /tmp private" \
		test "$(mount_opts /)" = ro -a "$(mount_opts "$state_dir")" = rw -a "$(mount_opts /tmp)" = rw
	check "its /proc is mounted hidepid=invisible,subset=pid" \
		grep -qE ' /proc .* proc proc [^ ]*hidepid=invisible,subset=pid' "$work/collector-mountinfo"
fi
if [ ${#userns[@]} -gt 0 ]; then
	check "it runs in a user namespace that maps only $svc_user" \
		test "$(tr -s ' ' <"/proc/$col_pid/uid_map" 2>/dev/null)" = " $uid $uid 1"
fi
check "it logged 'Everything is ready'" grep -q 'Everything is ready' "$work/collector.log"
check "health_check answers on 127.0.0.1:$health_port" test "$healthy" = true
check "the receiver produced metric points ($accepted, from the collector's own metrics)" test "${accepted%.*}" -gt 0
check "the sending queue in $state_dir holds folder metrics (backbone.folder.messages) and API metrics (backbone.api.up)" test "$queued" = true
stop_pid "$col_pid"
wait "$col_pid" 2>/dev/null
col_rc=$?
col_pid=""
check "it stopped on SIGTERM with status 0" test "$col_rc" -eq 0
# The endpoint is unreachable on purpose: the otlp_http exporter's complaints are expected
# (at shutdown it logs "Dropping data" though its persistent queue keeps the data).
problems=$(grep -E '^[^	]+	(warn|error|dpanic|panic|fatal)	' "$work/collector.log" |
	grep -v '"otelcol.component.id": "otlp_http"')
if [ -z "$problems" ]; then
	ok "no warning or error in its log, but for the exporter's about the unreachable endpoint"
else
	bad "warnings or errors in its log:"
	printf '        %s\n' "$problems"
fi
check_not "no complaint about the configuration" grep -qiE 'invalid configuration|failed to (get|resolve|build) config|cannot unmarshal|error decoding|unset environment variable' "$work/collector.log"
check_not "nothing refused by the file system (read-only file system, permission denied)" grep -qiE 'read-only file system|permission denied' "$work/collector.log"
check_not "no problem reported by the backbone receiver (tree or API)" grep -qE 'Backbone folder tree:|Backbone API:' "$work/collector.log"
check "after the stop the queue still holds the data, for the next start" grep -rqa 'backbone.folder.messages' "$state_dir"
check "everything in $state_dir belongs to $svc_user" sh -c "[ -z \"\$(find '$state_dir' ! -user '$svc_user')\" ]"
check "the receiver's event state is in $state_dir" sh -c "ls '$state_dir' | grep -q '^receiver_backbone'"
if [ "$failed" -gt 0 ]; then
	echo "  --- collector log:"
	sed 's/^/  | /' "$work/collector.log" | tail -n 40
fi

say "A damaged state file: ExecStartPre= moves it aside, the collector starts"
# damage_root_page FILE: zeroes the page that holds the root of the newest of the two bbolt
# meta pages, as a write cut short by a full disk or a crash leaves a page in the middle.
damage_root_page() {
	local f=$1 page tx0 tx1 meta=0 root
	page=$(od -An -tu4 -j24 -N4 "$f" | tr -d ' ')
	tx0=$(od -An -tu8 -j64 -N8 "$f" | tr -d ' ')
	tx1=$(od -An -tu8 -j$((page + 64)) -N8 "$f" | tr -d ' ')
	[ "$tx1" -gt "$tx0" ] && meta=$page
	root=$(od -An -tu8 -j$((meta + 32)) -N8 "$f" | tr -d ' ')
	dd if=/dev/zero of="$f" bs="$page" seek="$root" count=1 conv=notrunc status=none
}
receiver_state=$(find "$state_dir" -maxdepth 1 -type f -name 'receiver_backbone*' | head -n1)
damage_root_page "$receiver_state"
# Without the check: bbolt panics in a goroutine of its own, at every start.
(unit_command "$exec_start") >"$work/collector-damaged.log" 2>&1 &
col_pid=$!
for _ in $(seq 150); do
	kill -0 "$col_pid" 2>/dev/null || break
	sleep 0.2
done
stop_pid "$col_pid"
wait "$col_pid" 2>/dev/null
col_rc=$?
col_pid=""
check "without ExecStartPre= the collector panics in bbolt on the damaged file (status $col_rc)" \
	sh -c "[ $col_rc -eq 2 ] && grep -q 'panic: assertion failed: Page expected to be' '$work/collector-damaged.log'"
(unit_command "$exec_start_pre") >"$work/statecheck.log" 2>&1
check "ExecStartPre= succeeds on the damaged state" test $? -eq 0
aside=$(find "$state_dir" -maxdepth 1 -type f -name "$(basename "$receiver_state").damaged-*" | head -n1)
check "it moved $(basename "$receiver_state") aside (${aside:-nothing found}), owned by $svc_user" \
	sh -c "[ -n '$aside' ] && [ ! -e '$receiver_state' ] && [ \"\$(stat -c %U '$aside')\" = '$svc_user' ]"
check "it said so in one line: damaged, where it went, what it means" \
	test "$(grep -c "^otelcol-backbone-statecheck: $receiver_state is damaged (panic: assertion failed: Page expected to be: [0-9]*, but self identifies as 0): moved aside to $(basename "${aside:-none}"); the collector starts with a new, empty one: the backbone receiver .* start_at" "$work/statecheck.log")" = 1
check "it checked the exporter's queue files and left them alone" grep -q "^otelcol-backbone-statecheck: 2 storage file(s) in $state_dir checked, sound$" "$work/statecheck.log"
(unit_command "$exec_start") >"$work/collector-restart.log" 2>&1 &
col_pid=$!
restarted=false
for _ in $(seq $((run_seconds * 5))); do
	kill -0 "$col_pid" 2>/dev/null || break
	if [ -e "$receiver_state" ] && curl -fsS -o /dev/null "http://127.0.0.1:$health_port/" 2>/dev/null; then
		restarted=true
		break
	fi
	sleep 0.2
done
check "then the collector starts, answers its health check and opens a new $(basename "$receiver_state")" test "$restarted" = true
stop_pid "$col_pid"
wait "$col_pid" 2>/dev/null
col_rc=$?
col_pid=""
check "it stopped on SIGTERM with status 0" test "$col_rc" -eq 0
check_not "no panic in its log" grep -q '^panic:' "$work/collector-restart.log"
if [ "$failed" -gt 0 ]; then
	for log in statecheck collector-restart; do
		echo "  --- $log log:"
		sed 's/^/  | /' "$work/$log.log" | tail -n 20
	done
fi
stop_pid "$sim_pid"
sim_pid=""

say "Remove (dpkg -r: configuration, state and user stay)"
if dpkg -r "$name" </dev/null >"$work/dpkg-remove.log" 2>&1; then ok "dpkg -r"; else
	cat "$work/dpkg-remove.log"
	bad "dpkg -r"
fi
check "dpkg reports $name removed, configuration files left" test "$(pkg_status)" = rc
check "$bin_path is gone" test ! -e "$bin_path"
check "$unit_path is gone" test ! -e "$unit_path"
check "$config_path is kept" test -f "$config_path"
check "$env_path is kept, as configured" cmp -s "$env_path" "$work/env-configured"
check "$state_dir is kept" test -d "$state_dir"
check "user $svc_user is kept" user_exists

say "Purge (dpkg --purge: everything goes)"
if dpkg --purge "$name" </dev/null >"$work/dpkg-purge.log" 2>&1; then ok "dpkg --purge"; else
	cat "$work/dpkg-purge.log"
	bad "dpkg --purge"
fi
check "dpkg no longer knows $name" test -z "$(pkg_status)"
check "$etc_dir is gone" test ! -e "$etc_dir"
check "$state_dir is gone" test ! -e "$state_dir"
check "user $svc_user is gone" sh -c "! getent passwd '$svc_user' >/dev/null"
check "group $svc_user is gone" sh -c "! getent group '$svc_user' >/dev/null"
check "/usr/share/doc/$name is gone" test ! -e "/usr/share/doc/$name"
for f in "${account_files[@]}"; do
	[ -e "$f" ] || continue
	check "$f is as it was before the test" test "$(sha256sum <"$f")" = "${account_sums[$f]}"
done
