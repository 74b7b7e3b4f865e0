/**
 * Sessions held by old HAProxy workers. After a reload the old workers keep
 * their established sessions but run no health checks any more, so
 * `on-marked-down shutdown-sessions` never fires for them: a client connected
 * before a reload would stay on a demoted primary (INCIDENTS #14). When the
 * leader changes, we ask each old worker, through the master CLI, to cut its
 * primary-backend sessions to every server but the new leader.
 */
import { PgwardenError } from '@pgwarden/core';
import { runtimeCommand } from './server-state.js';

/** PIDs listed under "# old workers" in the master's `show proc`. */
export function parseOldWorkers(showProc: string): number[] {
  const pids: number[] = [];
  let inOld = false;
  for (const line of showProc.split('\n')) {
    if (line.startsWith('#')) inOld = /^#\s*old workers/.test(line);
    const match = /^(\d+)\s+worker\b/.exec(line);
    if (inOld && match !== null) pids.push(Number(match[1]));
  }
  return pids;
}

export interface CutResult {
  readonly oldWorkers: readonly number[];
  /** `<old worker pid>:<session pointer>` of every session cut. */
  readonly cut: readonly string[];
}

/** Session pointers of `show sess` whose `be=<backend> srv=<server>` is one of `servers`. */
export function sessionsOf(showSess: string, servers: ReadonlySet<string>): string[] {
  const pointers: string[] = [];
  for (const line of showSess.split('\n')) {
    const match = /^(0x[0-9a-f]+):.*\bbe=(\S+)\s+srv=(\S+)/.exec(line);
    if (match !== null && servers.has(`${match[2]}/${match[3]}`)) pointers.push(match[1] ?? '');
  }
  return pointers;
}

/**
 * Cut, in every old worker, the sessions of `servers` (`backend/server`).
 * Old workers refuse per-server commands ("Proxy is disabled"), so sessions
 * are found with `show sess` and cut one by one with `shutdown session`.
 */
export async function cutOldWorkerSessions(masterSocket: string, servers: readonly string[]): Promise<CutResult> {
  const oldWorkers = parseOldWorkers(await runtimeCommand(masterSocket, 'show proc'));
  const wanted = new Set(servers);
  const cut: string[] = [];
  for (const pid of oldWorkers) {
    const sessions = sessionsOf(await runtimeCommand(masterSocket, `@!${pid} show sess`), wanted);
    for (const pointer of sessions) {
      const answer = await runtimeCommand(masterSocket, `@!${pid} shutdown session ${pointer}`);
      // A session that ended meanwhile answers "No such session": nothing left to cut.
      if (/denied|unknown command/i.test(answer)) {
        throw new PgwardenError('haproxy-runtime-api-failed', `old worker ${pid} refused to cut session ${pointer}: ${answer.trim()}`);
      }
      cut.push(`${pid}:${pointer}`);
    }
  }
  return { oldWorkers, cut };
}
