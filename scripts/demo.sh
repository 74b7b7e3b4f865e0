#!/usr/bin/env bash
# The main job: a local three-member cluster. Until the agent lands this
# validates the sample configuration and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx turbo run build --output-logs=errors-only
node packages/cli/dist/bin/pgwarden.js --validate-config examples/postgres0.yml
cat examples/postgres0.yml
