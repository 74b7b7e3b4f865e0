#!/usr/bin/env bash
# The daemon's tests in two streams at once, each one file at a time (its
# vitest config): the fault-injection files (a link cut or black-holed, the
# DCS stopped) and a few others in one, the other end-to-end files in the
# other, the unit tests (src and test/unit) first in the second. Each
# end-to-end file runs its own etcd and three agents with PostgreSQL on ports
# it picks, so two run side by side; most of their time is waiting for ttl and
# loop_wait, which two streams overlap (about 10 minutes instead of 20 on 2
# cores). A new end-to-end file goes into the stream with less time (CI,
# 2026-12-07: the fault stream took 673 s, the other 535 s, before
# logical-slots and unclean-demotion, ~70 s together, moved to the second).
# Exits non-zero if either stream failed.
set -uo pipefail
cd "$(dirname "$0")/.."
faults=(test/e2e/partition.test.ts test/e2e/flaky-dcs.test.ts test/e2e/dcs-outage.test.ts test/e2e/paused-dcs-outage.test.ts test/e2e/quorum-commit.test.ts test/e2e/diverged-member.test.ts test/e2e/branch-replica.test.ts)
# Files by name (vitest matches its arguments as substrings of the whole path, so a directory name
# such as `src` would also match a checkout that lives under some `src` directory).
mapfile -t unit < <(find src test/unit -name '*.test.ts' | sort)
others=("${unit[@]}" test/e2e/lifecycle.test.ts test/e2e/https-peers.test.ts test/e2e/redis-dcs.test.ts test/e2e/synchronous-mode.test.ts test/e2e/back-to-back-switchover.test.ts test/e2e/bootstrap.test.ts test/e2e/takeover.test.ts test/e2e/hooks-and-cascade.test.ts test/e2e/standby-cluster.test.ts test/e2e/watchdog.test.ts test/e2e/watchdog-kernel.test.ts test/e2e/paused-divergence.test.ts test/e2e/unstreamed-candidate.test.ts test/e2e/logical-slots.test.ts test/e2e/unclean-demotion.test.ts)
# Every test file is in one stream: a file in neither fails here instead of never running.
while IFS= read -r file; do
  covered=0
  for entry in "${faults[@]}" "${others[@]}"; do
    if [ "$file" = "$entry" ]; then covered=1; fi
  done
  if [ "$covered" -eq 0 ]; then
    echo "scripts/test.sh: $file is in no stream; add it to one" >&2
    exit 1
  fi
done < <(find src test -name '*.test.ts' | sort)
npx vitest run "${faults[@]}" &
faults_pid=$!
npx vitest run "${others[@]}" &
others_pid=$!
status=0
wait "$faults_pid" || status=1
wait "$others_pid" || status=1
exit "$status"
