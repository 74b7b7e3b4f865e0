/**
 * Confirm a reload through HAProxy's master CLI. `haproxy -c` checks syntax
 * but binds nothing, so a configuration can pass it and still fail to load
 * (a port already taken). The master then keeps the old workers serving the
 * old configuration and counts the failure in `show proc`
 * (`<reloads> [failed: <n>]`), which is what we read.
 */
import { PgwardenError } from '@pgwarden/core';
import { runtimeCommand } from './server-state.js';

export interface MasterState {
  readonly reloads: number;
  readonly failed: number;
}

export function parseMasterState(showProc: string): MasterState | undefined {
  const match = /^\d+\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]/m.exec(showProc);
  if (match === null) return undefined;
  return { reloads: Number(match[1]), failed: Number(match[2]) };
}

export async function readMasterState(masterSocket: string): Promise<MasterState> {
  const answer = await runtimeCommand(masterSocket, 'show proc');
  const state = parseMasterState(answer);
  if (state === undefined) throw new PgwardenError('haproxy-runtime-api-failed', `no master line in "show proc" from ${masterSocket}`);
  return state;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Wait until the master counts one more reload than `before`. Throws
 * `haproxy-reload-rejected` when that reload failed, `haproxy-reload-failed`
 * when none is seen within `timeoutMs`. The master drops CLI connections
 * while it re-executes itself: those are retried.
 */
export async function waitForReload(masterSocket: string, before: MasterState, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const now = await readMasterState(masterSocket).catch(() => undefined);
    if (now !== undefined && now.reloads > before.reloads) {
      if (now.failed > before.failed) {
        throw new PgwardenError('haproxy-reload-rejected', 'HAProxy could not load the new configuration (see its log); the old workers keep serving the previous one');
      }
      return;
    }
    await pause(100);
  }
  throw new PgwardenError('haproxy-reload-failed', `HAProxy's master did not report a reload within ${timeoutMs} ms`);
}
