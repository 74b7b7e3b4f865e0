import { afterAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdCluster } from './etcd.js';

describe('etcd launcher', () => {
  const started: EtcdCluster[] = [];
  afterAll(async () => {
    await Promise.all(started.map((cluster) => cluster.stop()));
  });

  it('three-node cluster serves, a stopped member comes back on the same port', async () => {
    const cluster = await startEtcd({ size: 3 });
    started.push(cluster);
    expect(cluster.endpoints).toHaveLength(3);
    const node = cluster.nodes[1]!;
    const pid = node.pid();
    expect(pid).toBeTypeOf('number');
    await node.stop();
    expect(node.running()).toBe(false);
    expect(() => process.kill(pid!, 0)).toThrow();
    await node.start();
    const health = (await (await fetch(`${node.clientUrl}/health`)).json()) as { health: string };
    expect(health.health).toBe('true');
  });
});
