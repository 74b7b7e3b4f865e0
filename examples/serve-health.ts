/**
 * Serve Patroni's REST API health endpoints (`/primary`, `/replica`,
 * `/health`, `/patroni`, `/cluster`, ...) from your own process.
 *
 *   npx tsx serve-health.ts --etcd http://127.0.0.1:2379 --scope demo --name node1 --listen 127.0.0.1:8008 [--exit-after-seconds N]
 *
 * The API answers from a snapshot that you hand it with `setSnapshot()`; it
 * never queries anything on the request path. Here the snapshot of member
 * --name is built from what the DCS says about it (its member key, and
 * whether the leader key names it), read every --interval-seconds; in your
 * own program it would come from wherever you observe PostgreSQL. Writes
 * (switchover, restart, PATCH /config) are refused: this controller is read-only.
 * Prints `listening on http://HOST:PORT` once it serves; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { dcsFail, type Cluster } from '@pgwarden/core';
import { createEtcdDcs } from '@pgwarden/dcs-etcd';
import { createRestApi, type MemberController, type MemberSnapshot } from '@pgwarden/rest-api';

const { values } = parseArgs({
  options: {
    etcd: { type: 'string', default: 'http://127.0.0.1:2379' },
    scope: { type: 'string', default: 'demo' },
    namespace: { type: 'string', default: '/service/' },
    name: { type: 'string', default: 'node1' },
    listen: { type: 'string', default: '127.0.0.1:8008' },
    'interval-seconds': { type: 'string', default: '2' },
    'exit-after-seconds': { type: 'string' },
  },
});
const TTL_SECONDS = 30;

const dcs = createEtcdDcs({
  hosts: values.etcd.split(','),
  scope: values.scope,
  namespace: values.namespace,
  name: values.name,
  retryTimeoutSeconds: 5,
  watchCache: false,
});

const readOnly = (what: string) => dcsFail('unreachable', `${what} is not supported by this read-only example`);
const controller: MemberController = {
  getCluster: () => dcs.getCluster(),
  setConfig: async () => readOnly('changing /config'),
  setFailover: async () => readOnly('a switchover'),
  fetchPeerStatuses: async (members) => members.map((member) => ({ name: member.name, reachable: false })),
  restart: async () => ({ ok: false, message: 'restart is not supported by this read-only example' }),
  scheduleRestart: async () => false,
  cancelScheduledRestart: async () => false,
  reload: () => undefined,
  reinitialize: async () => ({ ok: false, message: 'reinitialize is not supported by this read-only example' }),
  acceptFailsafe: () => ({ accepted: false, message: 'failsafe is not supported by this read-only example' }),
  wake: () => undefined,
};

/** The member as the DCS shows it: the leader key makes it the primary; its key gives its state. */
function snapshotFromCluster(cluster: Cluster, readAtMs: number): MemberSnapshot {
  const self = cluster.members.find((member) => member.name === values.name);
  const holdsLock = cluster.leader?.name === values.name;
  return {
    name: values.name,
    scope: values.scope,
    version: '4.0.4',
    role: holdsLock ? 'primary' : (self?.data.role ?? 'uninitialized'),
    state: self?.data.state ?? 'stopped',
    tags: self?.data.tags ?? {},
    paused: cluster.config?.data['pause'] === true,
    standbyCluster: false,
    synchronousMode: false,
    failsafeMode: false,
    ttlSeconds: TTL_SECONDS,
    loopWaitSeconds: Number(values['interval-seconds']),
    maximumLagOnFailoverBytes: 1_048_576,
    cluster,
    clusterReadAtMs: readAtMs,
    dcsLastSeenMs: readAtMs,
    // The API judges `is_leader` as now < lockRenewedAtMs + ttl.
    ...(holdsLock ? { lockRenewedAtMs: readAtMs } : {}),
    failsafeActive: false,
    nextCycleAtMs: readAtMs + Number(values['interval-seconds']) * 1000,
  };
}

async function refresh(): Promise<void> {
  const readAtMs = Date.now();
  const result = await dcs.getCluster();
  // An unreadable DCS keeps the last snapshot: it ages out after ttl, and the checks then answer 503.
  if (result.ok) api.setSnapshot(snapshotFromCluster(result.value, readAtMs));
}

const api = createRestApi({ config: { listen: values.listen }, controller });
await refresh();
await api.start();
process.stdout.write(`listening on http://${api.address?.host}:${api.address?.port}\n`);

const timer = setInterval(() => void refresh(), Number(values['interval-seconds']) * 1000);
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  await api.stop();
  await dcs.close();
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
if (values['exit-after-seconds'] !== undefined) setTimeout(() => void stop(), Number(values['exit-after-seconds']) * 1000).unref();
