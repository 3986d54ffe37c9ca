#!/bin/sh
# Runs after the files were removed (deb: postrm remove|purge|upgrade|...; rpm: %postun 0 on
# erase, 1 on upgrade). "remove" keeps the configuration, the state and the user; "purge"
# (dpkg --purge, apt purge) also deletes the state directory, what is left in
# /etc/otelcol-backbone and the otelcol-backbone user and group. rpm has no purge: an erase
# keeps the user and the state, as Fedora's packaging guidelines ask.
set -e

USER_NAME=otelcol-backbone

case "$1" in
remove | purge | 0)
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload >/dev/null 2>&1 || true
	fi
	;;
esac

if [ "$1" = purge ]; then
	rm -rf /var/lib/otelcol-backbone /etc/otelcol-backbone
	if getent passwd "$USER_NAME" >/dev/null 2>&1; then
		userdel "$USER_NAME" >/dev/null 2>&1 || true
	fi
	if getent group "$USER_NAME" >/dev/null 2>&1; then
		groupdel "$USER_NAME" >/dev/null 2>&1 || true
	fi
fi
exit 0
