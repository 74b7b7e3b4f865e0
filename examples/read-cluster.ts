/**
 * Read a cluster from etcd once and print its leader and each member's lag.
 *
 *   npx tsx read-cluster.ts --etcd http://127.0.0.1:2379 --scope demo [--namespace /service/]
 *
 * Works on pgwarden and Patroni clusters alike (same keys). Lag is how far a
 * member's last published WAL position is behind the leader's (`/status`).
 * Exit code 1 with one line on stderr when etcd cannot be read.
 */
import { parseArgs } from 'node:util';
import { formatBytes, lagBytes, type Cluster } from '@pgwarden/core';
import { createEtcdDcs } from '@pgwarden/dcs-etcd';

const { values } = parseArgs({
  options: {
    etcd: { type: 'string', default: 'http://127.0.0.1:2379' },
    scope: { type: 'string', default: 'demo' },
    namespace: { type: 'string', default: '/service/' },
  },
});

/** One line per member: name, role, state, lag behind the leader. */
function describeCluster(cluster: Cluster): string[] {
  const lines = [`leader: ${cluster.leader?.name ?? '(none)'}`];
  for (const member of cluster.members) {
    const isLeader = member.name === cluster.leader?.name;
    const lag = isLeader ? '-' : formatBytes(lagBytes(cluster.lastLsn, member.data.xlog_location));
    lines.push(`${member.name}\trole=${member.data.role ?? '?'}\tstate=${member.data.state ?? '?'}\tlag=${lag}`);
  }
  return lines;
}

// `name` is the member this client would be; a read-only tool never writes its key.
const dcs = createEtcdDcs({
  hosts: values.etcd.split(','),
  scope: values.scope,
  namespace: values.namespace,
  name: 'read-cluster-example',
  retryTimeoutSeconds: 5,
  watchCache: false,
});
try {
  const result = await dcs.getCluster();
  if (!result.ok) {
    process.stderr.write(`cannot read the cluster: ${result.message}\n`);
    process.exitCode = 1;
  } else if (result.value.members.length === 0) {
    process.stderr.write(`no cluster ${values.scope} under ${values.namespace} in etcd\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`${describeCluster(result.value).join('\n')}\n`);
  }
} finally {
  await dcs.close();
}
