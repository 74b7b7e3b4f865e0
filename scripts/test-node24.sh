#!/usr/bin/env bash
# The unit tests of every package and the examples (against a real etcd), on
# the Node.js first on PATH — scripts/test.sh puts Node.js 24 there, after the
# whole suite ran on Node.js 22. Everything runs from the sources (tsx).
set -uo pipefail
cd "$(dirname "$0")/.."
echo "test: unit tests and examples on Node.js $(node -v)"
status=0
run() {
  local dir="$1"
  shift
  echo "== $dir on Node.js $(node -v): vitest run $*"
  (cd "$dir" && npx vitest run "$@") || status=1
}
run packages/core
run packages/haproxy-gen src test/render.test.ts
run packages/rest-api
run packages/daemon test/unit
run packages/cli test/unit
run packages/dcs-etcd src
run packages/dcs-consul src test/request-mapping.test.ts
run packages/dcs-redis src
run packages/dcs-zookeeper src
run packages/postgres-ctl src
run examples test/examples.test.ts
exit "$status"
