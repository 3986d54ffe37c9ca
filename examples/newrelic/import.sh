#!/bin/sh
# Creates the Backbone Issue Sync alert policy with its NRQL conditions, and the dashboard, in
# one New Relic account through NerdGraph. Each run creates new ones: delete the old policy and
# dashboard first to re-import. Needs curl and jq.
#
#   NEW_RELIC_API_KEY=NRAK-... NEW_RELIC_ACCOUNT_ID=1234567 examples/newrelic/import.sh
#
# NEW_RELIC_API_KEY is a user key. NERDGRAPH_URL defaults to the US endpoint; EU accounts use
# https://api.eu.newrelic.com/graphql.
set -eu
: "${NEW_RELIC_API_KEY:?a New Relic user key}"
: "${NEW_RELIC_ACCOUNT_ID:?the account to create the policy and dashboard in}"
url=${NERDGRAPH_URL:-https://api.newrelic.com/graphql}
dir=$(dirname "$0")

# nerdgraph QUERY VARIABLES FILTER prints what the jq FILTER makes of the answer's data, or
# prints the errors and fails.
nerdgraph() {
	answer=$(jq -n --arg q "$1" --argjson v "$2" '{query: $q, variables: $v}' |
		curl --silent --show-error --fail-with-body -X POST "$url" \
			-H "Content-Type: application/json" \
			-H "API-Key: $NEW_RELIC_API_KEY" \
			--data-binary @-)
	if ! printf '%s' "$answer" | jq -e '(.errors // []) == [] and ([.data[]?.errors // empty] | add // []) == []' >/dev/null; then
		printf '%s\n' "$answer" >&2
		return 1
	fi
	printf '%s' "$answer" | jq -r ".data | $3"
}

account=$(jq -n --arg a "$NEW_RELIC_ACCOUNT_ID" '$a | tonumber')

policy=$(nerdgraph 'mutation($accountId: Int!, $policy: AlertsPolicyInput!) {
  alertsPolicyCreate(accountId: $accountId, policy: $policy) { id }
}' "$(jq -c --argjson a "$account" '{accountId: $a, policy: .}' "$dir/policy.json")" .alertsPolicyCreate.id)
echo "policy $policy"

jq -c '.[]' "$dir/alert-conditions.json" | while read -r condition; do
	nerdgraph 'mutation($accountId: Int!, $policyId: ID!, $condition: AlertsNrqlConditionStaticInput!) {
  alertsNrqlConditionStaticCreate(accountId: $accountId, policyId: $policyId, condition: $condition) { id name }
}' "$(printf '%s' "$condition" | jq -c --argjson a "$account" --arg p "$policy" '{accountId: $a, policyId: $p, condition: .}')" \
		'"condition \(.alertsNrqlConditionStaticCreate.name) \(.alertsNrqlConditionStaticCreate.id)"'
done

# Every widget query and variable query reads the account the dashboard is created in.
nerdgraph 'mutation($accountId: Int!, $dashboard: DashboardInput!) {
  dashboardCreate(accountId: $accountId, dashboard: $dashboard) { entityResult { guid } errors { description type } }
}' "$(jq -c --argjson a "$account" '{accountId: $a, dashboard: (
	.pages[].widgets[].configuration[].nrqlQueries[].accountId = $a
	| .variables[].nrqlQuery.accountIds = [$a])}' "$dir/dashboard.json")" \
	'"dashboard \(.dashboardCreate.entityResult.guid)"'
