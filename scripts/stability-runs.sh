#!/usr/bin/env bash
# Five full `npm test` runs in a row on a clean clone of this repository while two busy loops keep both cores
# busy (issue 14's stability trial). Usage: scripts/stability-runs.sh [commit]; the summary is /tmp/stab-summary.txt.
set -u
COMMIT=${1:-main}
rm -rf /tmp/stab && git clone -q "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" /tmp/stab && cd /tmp/stab && git checkout -q "$COMMIT"
echo "commit $(git rev-parse --short HEAD)" > /tmp/stab-summary.txt
npm ci --no-audit --no-fund > /tmp/stab-npmci.log 2>&1 || { echo "npm ci failed" >> /tmp/stab-summary.txt; exit 1; }
node -e 'for(;;){}' & H1=$!
node -e 'for(;;){}' & H2=$!
trap 'kill $H1 $H2 2>/dev/null' EXIT
for i in 1 2 3 4 5; do
  s=$(date +%s)
  CI=true timeout 2400 npm test > /tmp/stab-run$i.log 2>&1; rc=$?
  e=$(( $(date +%s) - s ))
  load=$(cut -d' ' -f1 /proc/loadavg)
  line=$(grep -E '^# (tests|pass|fail|skipped)' /tmp/stab-run$i.log | tr '\n' ' ')
  echo "run $i rc=$rc ${e}s load=$load $line" >> /tmp/stab-summary.txt
done
echo finished >> /tmp/stab-summary.txt
