/**
 * What makes a watch wake (spec/dcs.md §3.5, applied to Consul): the leader
 * key's value or session changed or it disappeared; `/config` changed;
 * `/status` (or legacy `optime/leader`) changed while we are not the leader.
 * Member keys never wake anyone: every member rewrites its own each cycle.
 * The baseline is what this member last saw or wrote itself, so its own
 * writes do not wake its own watch.
 */
import type { KvEntry } from './kv.js';

export interface WatchBaseline {
  readonly leader?: string;
  readonly leaderName?: string;
  readonly config?: string;
  readonly status?: string;
}

export function leaderMark(name: string, session: string | undefined): string {
  return `${name}\u0000${session ?? ''}`;
}

export function baselineOf(entries: readonly KvEntry[], base: string): WatchBaseline {
  const find = (relative: string): KvEntry | undefined => entries.find((entry) => entry.key === `${base}/${relative}`);
  const leader = find('leader');
  const config = find('config');
  const status = find('status') ?? find('optime/leader');
  return {
    ...(leader !== undefined ? { leader: leaderMark(leader.value, leader.session), leaderName: leader.value } : {}),
    ...(config !== undefined ? { config: config.value } : {}),
    ...(status !== undefined ? { status: status.value } : {}),
  };
}

export function changeMatters(before: WatchBaseline, after: WatchBaseline, selfName: string): boolean {
  if (before.leader !== after.leader || before.config !== after.config) return true;
  return after.leaderName !== selfName && before.status !== after.status;
}
