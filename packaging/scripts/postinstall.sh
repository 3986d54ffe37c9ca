#!/bin/sh
# Runs after the files are in place (deb: postinst configure; rpm: %post 1 on install, 2 on
# upgrade). The service is not enabled or started on a first install: it needs JIRA_URL or
# BACKBONE_DIRECTORY in /etc/otelcol-backbone/otelcol-backbone.conf first. On an upgrade, a
# running service is restarted on the new binary.
set -e

upgrade=false
case "$1" in
configure)
	# deb: $2 is the version configured before, empty on a first install.
	[ -n "$2" ] && upgrade=true
	;;
[0-9]*)
	# rpm: the number of versions installed after this transaction.
	[ "$1" -gt 1 ] && upgrade=true
	;;
*)
	exit 0
	;;
esac

# Only when systemd is the running init (not in a container or a chroot).
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	if [ "$upgrade" = true ]; then
		systemctl try-restart otelcol-backbone.service >/dev/null 2>&1 || true
	fi
fi

if [ "$upgrade" = false ]; then
	echo "otelcol-backbone: set JIRA_URL and/or BACKBONE_DIRECTORY in /etc/otelcol-backbone/otelcol-backbone.conf,"
	echo "then: systemctl enable --now otelcol-backbone"
fi
exit 0
