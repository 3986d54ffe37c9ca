#!/bin/sh
# Runs before the package's files are unpacked, on install and on upgrade (deb: preinst
# install|upgrade; rpm: %pre 1|2). Creates the unprivileged system user and group the service
# runs as, so that the files owned by that group get the right owner when unpacked.
set -e

USER_NAME=otelcol-backbone
STATE_DIR=/var/lib/otelcol-backbone

nologin=/usr/sbin/nologin
[ -x "$nologin" ] || nologin=/sbin/nologin
[ -x "$nologin" ] || nologin=/bin/false

if ! getent group "$USER_NAME" >/dev/null 2>&1; then
	groupadd --system "$USER_NAME"
fi
if ! getent passwd "$USER_NAME" >/dev/null 2>&1; then
	useradd --system --gid "$USER_NAME" --no-create-home --home-dir "$STATE_DIR" \
		--shell "$nologin" --comment "OpenTelemetry Collector for Backbone Issue Sync" "$USER_NAME"
fi
exit 0
