/**
 * The contract harness for this adapter: the in-process MODEL of Consul's
 * documented HTTP API from testkit (not a real Consul: none can run here),
 * with session_ttl_min lowered to 1 s so that the suite's short ttl (2 s →
 * session TTL 1 s) is accepted, as an agent configured with
 * `session_ttl_min = "1s"` would.
 */
import type { DcsContractHarness } from '@pgwarden/testkit/contract';
import { startConsulModel } from '@pgwarden/testkit';
import { ConsulDcs } from '../src/index.js';

export const contractTimings = { ttlSeconds: 2, loopWaitSeconds: 0.5, retryTimeoutSeconds: 2 };

export async function startConsulModelHarness(): Promise<DcsContractHarness> {
  const model = await startConsulModel({ sessionTtlMinMs: 1000 });
  const key = (scope: string, relative: string): string => `service/${scope}/${relative}`;
  return {
    backend: 'consul',
    timings: contractTimings,
    createDcs: (member) =>
      new ConsulDcs({ url: model.url, scope: member.scope, name: member.name, ...member.timings, clock: member.clock }),
    readRaw: async (scope, relative) => model.readRaw(key(scope, relative)),
    writeRaw: async (scope, relative, value) => model.writeRaw(key(scope, relative), value),
    servers: { count: 1, stop: () => model.stop(), start: () => model.start() },
    close: () => model.close(),
  };
}
