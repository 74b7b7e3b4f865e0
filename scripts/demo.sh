#!/usr/bin/env bash
# The main job: a local three-member pgwarden cluster on 127.0.0.1.
# Installs what is missing (scripts/setup.sh), builds, starts etcd, three
# agents (PostgreSQL 15 run as the postgres user) and HAProxy in front, waits
# until the cluster is healthy, prints `pgwardenctl list` and how to connect,
# and runs until Ctrl-C; then it stops everything it started (by PID) and
# removes its data. Default ports: etcd 2379/2380, PostgreSQL 5432-5434,
# REST API 8008-8010, HAProxy 5000 (primary) / 5001 (replicas), stats 7000;
# a port in use is replaced by a free one (shown in the output).
#   bash scripts/demo.sh [--free-ports] [--timeout SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh
echo "demo: building (npx turbo run build)..."
npx turbo run build --output-logs=errors-only
exec node packages/cli/dist/demo/run-demo.js "$@"
