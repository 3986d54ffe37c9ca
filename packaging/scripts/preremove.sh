#!/bin/sh
# Runs before the files are removed (deb: prerm remove|upgrade|deconfigure|failed-upgrade;
# rpm: %preun 0 on erase, 1 on upgrade). On removal, stops and disables the service; an
# upgrade leaves it running (postinstall restarts it).
set -e

case "$1" in
remove | 0) ;;
*) exit 0 ;;
esac

if [ -d /run/systemd/system ]; then
	systemctl stop otelcol-backbone.service >/dev/null 2>&1 || true
fi
# Works without a running systemd too: removes the enablement symlinks.
if command -v systemctl >/dev/null 2>&1; then
	systemctl --no-reload disable otelcol-backbone.service >/dev/null 2>&1 || true
fi
exit 0
