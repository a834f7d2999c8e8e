#!/usr/bin/env bash
# Regenerates what docs/ holds that the code declares: the settings tables of docs/CONFIGURATION.md, from
# `rooms settings --markdown` (src/common/settings.h). Usage: scripts/gen-docs.sh [path to the rooms binary]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/rooms}
doc=docs/CONFIGURATION.md
tables=$(mktemp)
trap 'rm -f "$tables"' EXIT
"$bin" settings --markdown >"$tables"
awk -v tables="$tables" '
    /^<!-- BEGIN SETTINGS/ { print; while ((getline line < tables) > 0) print line; skipping = 1; next }
    /^<!-- END SETTINGS/ { skipping = 0 }
    !skipping { print }
' "$doc" >"$doc.new"
mv "$doc.new" "$doc"
echo "gen-docs: $doc updated"
