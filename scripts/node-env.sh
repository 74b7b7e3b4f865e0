# Sourced by the scripts that run pgwarden or its tests: puts the Node.js 22
# the set-up brought from the npm registry (.tools/node22, present only when
# the machine's Node.js is older than 22) first on PATH, so that node, npm and
# npx, and every agent and CLI they start, run on Node 22.
pgwarden_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$pgwarden_root/.tools/node22/node_modules/.bin/node" ]; then
  export PATH="$pgwarden_root/.tools/node22/node_modules/.bin:$PATH"
fi
unset pgwarden_root
# Debian's Node.js trusts the system's certificate authorities; the Node.js
# binaries from the npm registry trust only their bundled list. Give them the
# system's too (a proxy or mirror with a local CA, as npm needs for the
# registry), unless the environment already chose a file.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
