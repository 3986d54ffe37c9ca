#!/bin/sh
# Creates the Backbone Issue Sync monitors (one per file in monitors/) and the dashboard
# through Datadog's API. Each run creates new ones: delete the old ones first to re-import.
#
#   DD_API_KEY=... DD_APP_KEY=... DD_SITE=datadoghq.eu examples/datadog/import.sh
#
# DD_SITE defaults to datadoghq.com; DD_API_URL overrides the whole API address.
set -eu
: "${DD_API_KEY:?a Datadog API key}"
: "${DD_APP_KEY:?a Datadog application key}"
api=${DD_API_URL:-https://api.${DD_SITE:-datadoghq.com}}
dir=$(dirname "$0")

post() {
	curl --silent --show-error --fail-with-body -X POST "$api$1" \
		-H "Content-Type: application/json" \
		-H "DD-API-KEY: $DD_API_KEY" \
		-H "DD-APPLICATION-KEY: $DD_APP_KEY" \
		--data-binary "@$2"
	echo
}

for f in "$dir"/monitors/*.json; do
	echo "monitor $(basename "$f" .json)"
	post /api/v1/monitor "$f"
done
echo "dashboard"
post /api/v1/dashboard "$dir/dashboard.json"
