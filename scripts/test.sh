#!/usr/bin/env bash
# Runs every test of every package (unit, contract suite on a real etcd,
# PostgreSQL integration, end-to-end), after installing what is missing.
# Prints one closing line "N passed, N failed" summed over all packages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p .tmp
log=.tmp/test-$$.log
status=0
npm run --silent lint
npx turbo run build test --concurrency=1 --output-logs=full 2>&1 | tee "$log" || status=$?
node scripts/sum-test-results.mjs "$log" || status=1
rm -f "$log"
exit "$status"
