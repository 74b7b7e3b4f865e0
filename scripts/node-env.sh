# Sourced by the scripts that run pgwarden or its tests: puts the Node.js 22
# the set-up brought from the npm registry (.tools/node22, present only when
# the machine's Node.js is older than 22) first on PATH, so that node, npm and
# npx, and every agent and CLI they start, run on Node 22.
pgwarden_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$pgwarden_root/.tools/node22/node_modules/.bin/node" ]; then
  export PATH="$pgwarden_root/.tools/node22/node_modules/.bin:$PATH"
fi
unset pgwarden_root
