#!/usr/bin/env bash
# The unit tests of every package and the examples (against a real etcd), on
# the Node.js first on PATH — scripts/test.sh puts Node.js 24 there, after the
# whole suite ran on Node.js 22. One vitest run from the sources (tsx),
# configured by vitest.node24.config.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "test: unit tests and examples on Node.js $(node -v)"
npx vitest run --config vitest.node24.config.ts
