#!/usr/bin/env bash
# Prints the project's version: dist.version in builder-config.yaml, the one place it is set.
# The binary (--version), the .deb/.rpm packages and the receiver's scope version all carry it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
sed -n '/^dist:/,/^[^[:space:]#]/{s/^  version:[[:space:]]*//p;}' builder-config.yaml | sed -e 's/[[:space:]]#.*$//' -e 's/["'\'']//g' | head -n1
