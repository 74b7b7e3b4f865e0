#!/usr/bin/env bash
# Runs every test of every package (unit, contract suite on a real etcd,
# PostgreSQL integration, end-to-end) on Node.js 22, after installing what is
# missing; then the unit tests and the examples again on Node.js 24 (the other
# release users run). A package whose tests fail does not stop the others'
# (turbo --continue), so one flaky file still lets every other result show.
# Ends with the failed tests by name and one line "N passed, N failed" summed
# over all packages and both Node.js versions.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --node24 --watchdog-vm
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh
echo "test: Node.js $(node -v) (npm $(npm -v))"
mkdir -p .tmp
log=.tmp/test-$$.log
status=0
npm run --silent lint
npx turbo run build test --concurrency=1 --continue=dependencies-successful --output-logs=full 2>&1 | tee "$log" || status=$?
PATH="$PWD/.tools/node24/node_modules/.bin:$PATH" bash scripts/test-node24.sh 2>&1 | tee -a "$log" || status=1
node scripts/sum-test-results.mjs "$log" || status=1
rm -f "$log"
exit "$status"
