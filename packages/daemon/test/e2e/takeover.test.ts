/**
 * Joining with an existing data directory: the DCS was wiped (a new etcd,
 * or `pgwardenctl remove`), the agent restarts beside a data directory that
 * holds a cluster. It adopts the DCS for it (initialize = its system id),
 * takes the lock and runs it as primary, with the data intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdDcs } from '@pgwarden/dcs-etcd';
import { startPgwardenCluster, waitUntil, type PgwardenCluster } from '@pgwarden/testkit';
import { isInRecovery, query } from './helpers.js';

describe('an agent started beside an existing data directory and an empty DCS', () => {
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    cluster = await startPgwardenCluster({ size: 1 });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('takes the data directory over as primary and records its system id in initialize', async () => {
    const member = await cluster.waitForLeader({ timeoutMs: 90_000 });
    await query(member, 'CREATE TABLE kept (id int)');
    await query(member, 'INSERT INTO kept VALUES (42)');
    const sysid = (await query<{ system_identifier: string }>(member, 'SELECT system_identifier::text FROM pg_control_system()'))[0]?.system_identifier;
    await member.stop();

    const dcs = createEtcdDcs({ hosts: cluster.etcd.endpoints.map((url) => url.replace('http://', '')), scope: cluster.scope, namespace: cluster.namespace, name: 'test-wiper' });
    try {
      expect((await dcs.deleteCluster()).ok).toBe(true);
      await waitUntil(async () => {
        const read = await dcs.getCluster();
        return read.ok && read.value.initialize === undefined && read.value.members.length === 0;
      }, { timeoutMs: 10_000, what: 'an empty DCS' });

      await member.start();
      await waitUntil(async () => (await isInRecovery(member)) === false && (await cluster.leader())?.name === member.name, {
        timeoutMs: 90_000,
        what: 'the member to run its old data as primary',
      });
      expect((await query<{ id: number }>(member, 'SELECT id FROM kept'))[0]?.id).toBe(42);
      const adopted = await waitUntil(async () => {
        const read = await dcs.getCluster();
        return read.ok && read.value.initialize === sysid ? read.value : undefined;
      }, { timeoutMs: 30_000, what: 'initialize to hold the system id' });
      expect(adopted.leader?.name).toBe(member.name);
    } finally {
      await dcs.close();
    }
  }, 240_000);
});
