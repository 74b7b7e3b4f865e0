/**
 * Follow a cluster and print a line each time its leader changes.
 *
 *   npx tsx watch-leader.ts --etcd http://127.0.0.1:2379 --scope demo [--max-changes 10] [--timeout-seconds 60]
 *
 * Prints the leader at start (`leader: node1`), then one line per change
 * (`leader: node1 -> node2`, `(none)` while nobody holds the lock). Exits 0
 * after --max-changes changes or when --timeout-seconds pass, whichever is first.
 * `dcs.watch()` wakes as soon as the leader key changes, so nothing is polled.
 */
import { parseArgs } from 'node:util';
import { createEtcdDcs } from '@pgwarden/dcs-etcd';

const { values } = parseArgs({
  options: {
    etcd: { type: 'string', default: 'http://127.0.0.1:2379' },
    scope: { type: 'string', default: 'demo' },
    namespace: { type: 'string', default: '/service/' },
    'max-changes': { type: 'string', default: '10' },
    'timeout-seconds': { type: 'string', default: '60' },
  },
});
const maxChanges = Number(values['max-changes']);
const deadlineMs = Date.now() + Number(values['timeout-seconds']) * 1000;

const dcs = createEtcdDcs({
  hosts: values.etcd.split(','),
  scope: values.scope,
  namespace: values.namespace,
  name: 'watch-leader-example',
  retryTimeoutSeconds: 5,
});

async function currentLeader(): Promise<string | undefined> {
  const result = await dcs.getCluster();
  if (!result.ok) throw new Error(`cannot read the cluster: ${result.message}`);
  return result.value.leader?.name;
}

try {
  let leader = await currentLeader();
  process.stdout.write(`leader: ${leader ?? '(none)'}\n`);
  let changes = 0;
  while (changes < maxChanges && Date.now() < deadlineMs) {
    await dcs.watch(Math.max(0, deadlineMs - Date.now()));
    const next = await currentLeader();
    if (next === leader) continue;
    process.stdout.write(`leader: ${leader ?? '(none)'} -> ${next ?? '(none)'}\n`);
    leader = next;
    changes += 1;
  }
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await dcs.close();
}
