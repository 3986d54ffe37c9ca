#!/usr/bin/env bash
# Builds the otelcol-backbone .deb and .rpm packages of the built collector with nfpm (pinned in
# tools/go.mod), into dist/packages/. Build the collector first (make build); this script builds
# otelcol-backbone-statecheck (cmd/), which the unit runs before the collector, itself.
#
#   scripts/package.sh [deb|rpm ...]      (default: deb rpm)
#
# Environment:
#   VERSION     optional; must equal the binary's version (`otelcol-backbone --version`, set
#               once, as dist.version in builder-config.yaml), which the packages carry
#   RELEASE     package release (default 1)
#   COLLECTOR   the collector binary (default dist/otelcol-backbone/otelcol-backbone)
#   ARCH        its Go architecture (default: go env GOARCH)
#   OUT_DIR     where the packages go (default dist/packages)
#   MAINTAINER  the packages' Maintainer/Packager field
#   GO          go command (default: go)
#   SOURCE_DATE_EPOCH  time stamp of the packaged files (default: the last commit's time), so
#               that the same commit and binary give the same packages
#
# The package layout is in packaging/nfpm.yaml; docs/install.md describes it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export GOTOOLCHAIN=local
go_cmd=${GO:-go}
release=${RELEASE:-1}
collector=${COLLECTOR:-dist/otelcol-backbone/otelcol-backbone}
out_dir=${OUT_DIR:-dist/packages}
formats=("$@")
[ ${#formats[@]} -gt 0 ] || formats=(deb rpm)

die() {
	echo "package: $*" >&2
	exit 1
}

[ -x "$collector" ] || die "$collector is missing: build it first (make build)"
# The packages carry the binary's own version: one version for the binary, the packages and
# the receiver's scope version, all from dist.version in builder-config.yaml (read from there
# when the binary is built for another architecture and cannot run here).
version=$("$collector" --version 2>/dev/null | awk '{print $NF}') || version=$(scripts/version.sh)
if [ -n "${VERSION:-}" ] && [ "$VERSION" != "$version" ]; then
	die "VERSION=$VERSION differs from the binary's version $version: change dist.version in builder-config.yaml and rebuild"
fi
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "VERSION '$version' must start with a digit and hold only letters, digits and . + ~"
[[ $release =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "RELEASE '$release' must start with a digit"
for f in "${formats[@]}"; do
	case "$f" in
	deb | rpm) ;;
	*) die "unknown package format '$f' (deb or rpm)" ;;
	esac
done

arch=${ARCH:-$("$go_cmd" env GOARCH)}
# The binary must be a Linux executable for that architecture (ELF machine field).
case "$arch" in
amd64) machine=62 ;;
arm64) machine=183 ;;
*) machine="" ;;
esac
if [ -n "$machine" ]; then
	magic=$(od -An -tx1 -N4 "$collector" | tr -d ' \n')
	elf_machine=$(od -An -tu2 -j18 -N2 "$collector" | tr -d ' \n')
	[ "$magic" = 7f454c46 ] || die "$collector is not a Linux (ELF) binary"
	[ "$elf_machine" = "$machine" ] || die "$collector is not built for $arch (ELF machine $elf_machine)"
fi

mkdir -p "$out_dir"
# Static and stripped like the collector, without paths of this machine, so that the same
# commit gives the same binary.
statecheck=dist/statecheck/linux_$arch/otelcol-backbone-statecheck
CGO_ENABLED=0 GOOS=linux GOARCH=$arch "$go_cmd" build -trimpath -buildvcs=false -ldflags='-s -w' \
	-o "$statecheck" ./cmd/otelcol-backbone-statecheck || die "building $statecheck"
export PKG_VERSION=$version PKG_RELEASE=$release PKG_ARCH=$arch PKG_BINARY=$collector PKG_STATECHECK=$statecheck
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && git rev-parse --git-dir >/dev/null 2>&1; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || true)
	if [ -n "$SOURCE_DATE_EPOCH" ]; then export SOURCE_DATE_EPOCH; fi
fi
export PKG_MAINTAINER=${MAINTAINER:-otelcol-backbone maintainers <noreply@otelcol-backbone.invalid>}

start=$(date +%s)
for f in "${formats[@]}"; do
	# nfpm names the file itself (name_version-release_arch.deb, name-version-release.arch.rpm);
	# remove an older build of the same version first so that the listing below is current.
	case "$f" in
	deb) rm -f "$out_dir/otelcol-backbone_${version}-${release}_"*.deb ;;
	rpm) rm -f "$out_dir/otelcol-backbone-${version}-${release}."*.rpm ;;
	esac
	"$go_cmd" tool -modfile=tools/go.mod nfpm package --config packaging/nfpm.yaml --packager "$f" --target "$out_dir/"
done
elapsed=$(($(date +%s) - start))

echo "package: version $version-$release ($arch) in ${elapsed}s:"
for f in "${formats[@]}"; do
	case "$f" in
	deb) ls -l "$out_dir/otelcol-backbone_${version}-${release}_"*.deb ;;
	rpm) ls -l "$out_dir/otelcol-backbone-${version}-${release}."*.rpm ;;
	esac
done
