/**
 * Bench server: the REST API alone, with a primary's snapshot refreshed every
 * second as the agent would, on 127.0.0.1 and a free port it prints as
 * `PORT <n>`. Run by run.ts; stops on SIGTERM.
 */
import type { MemberController } from '../src/index.js';
import { createRestApi } from '../src/index.js';
import { primarySnapshot } from '../test/fixtures.js';

const unavailable = async () => ({ ok: false as const, reason: 'unreachable' as const, message: 'bench' });
const controller: MemberController = {
  getCluster: unavailable,
  setConfig: unavailable,
  setFailover: unavailable,
  fetchPeerStatuses: async () => [],
  restart: async () => ({ ok: false, message: 'bench' }),
  scheduleRestart: async () => false,
  cancelScheduledRestart: async () => false,
  reload: () => undefined,
  reinitialize: async () => ({ ok: false, message: 'bench' }),
  acceptFailsafe: () => ({ accepted: false, message: 'bench' }),
  wake: () => undefined,
};

const api = createRestApi({ config: { listen: '127.0.0.1:0' }, controller });
const publish = () => {
  const now = Date.now();
  api.setSnapshot(primarySnapshot({ clusterReadAtMs: now, lockRenewedAtMs: now, dcsLastSeenMs: now, nextCycleAtMs: now + 10_000 }));
};
publish();
const timer = setInterval(publish, 1000);
await api.start();
process.stdout.write(`PORT ${api.address?.port}\n`);
process.on('SIGTERM', () => {
  clearInterval(timer);
  void api.stop().then(() => process.exit(0));
});
