import { describe, expect, it } from 'vitest';
import { awaitPromotion, RETRY_SLEEP_WAIT_EVENT, type PromotionProbe } from './promotion-wait.js';

/** A server whose probes follow `script` (one entry per probe, the last repeating), on a fake clock. */
function fakeServer(script: (index: number, resignals: number) => PromotionProbe) {
  let now = 0;
  let probes = 0;
  let resignals = 0;
  return {
    io: {
      probe: async () => script(probes++, resignals),
      resignal: async () => {
        resignals += 1;
        return 'signalled' as const;
      },
      sleep: async (ms: number) => {
        now += ms;
      },
      nowMs: () => now,
    },
    get resignals() {
      return resignals;
    },
  };
}

const recovering = (startupWait: string | null = 'RecoveryWalStream'): PromotionProbe => ({ inRecovery: true, startupWait });
const promoted: PromotionProbe = { inRecovery: false, startupWait: null };

describe('awaitPromotion', () => {
  it('returns once recovery has ended, without signalling again when the startup process is not in the retry sleep', async () => {
    const server = fakeServer((index) => (index < 10 ? recovering() : promoted));
    expect(await awaitPromotion(server.io, 20_000)).toEqual({ resignalled: 0 });
    expect(server.resignals).toBe(0);
  });

  it('signals again, once, a startup process that took the request and sleeps out wal_retrieve_retry_interval; it then ends recovery', async () => {
    // Sleeping in the retry interval until signalled again (PostgreSQL would sleep ~5 s more).
    const server = fakeServer((_index, resignals) => (resignals === 0 ? recovering(RETRY_SLEEP_WAIT_EVENT) : promoted));
    expect(await awaitPromotion(server.io, 20_000)).toEqual({ resignalled: 1 });
    expect(server.resignals).toBe(1);
  });

  it('leaves a sleep that the first request is about to end alone for 50 ms (that request wakes it)', async () => {
    const server = fakeServer((index) => (index < 5 ? recovering(RETRY_SLEEP_WAIT_EVENT) : promoted));
    expect(await awaitPromotion(server.io, 20_000)).toEqual({ resignalled: 0 });
  });

  it('gives up at the deadline', async () => {
    const server = fakeServer(() => recovering());
    await expect(awaitPromotion(server.io, 1_000)).rejects.toThrow('timeout');
  });
});
