/**
 * `POST /switchover`, `POST /failover`, `DELETE /switchover`
 * (spec/rest-api.md §7). Validation runs in Patroni's order with its message
 * texts; only a request that passes every check writes `/failover`. An
 * immediate request then waits for the outcome by polling the DCS.
 */
import { isUnlocked, type Cluster, type FailoverValue } from '@pgwarden/core';
import { globalSettings, type GlobalSettings } from './cluster-json.js';
import { textReply, type JsonObject, type Reply } from './http-io.js';
import { snapshotSettings } from './read-routes.js';
import type { Route, RouteContext } from './route-types.js';
import { parseSchedule } from './schedule.js';

type Action = 'switchover' | 'failover';

interface SwitchoverRequest {
  readonly leader?: string;
  readonly candidate?: string;
  readonly scheduledAt?: string;
}

const FIELDS = new Set(['leader', 'candidate', 'member', 'scheduled_at']);

function readRequest(body: JsonObject, action: Action): SwitchoverRequest | Reply {
  for (const [key, value] of Object.entries(body)) {
    if (!FIELDS.has(key)) return textReply(400, `Unknown field in the ${action} request: ${key}`);
    if (value !== null && typeof value !== 'string') return textReply(400, `${key} must be a string`);
  }
  const text = (key: string): string | undefined => {
    const value = body[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  return { leader: text('leader'), candidate: text('candidate') ?? text('member'), scheduledAt: text('scheduled_at') };
}

function inSync(cluster: Cluster, name: string): boolean {
  return cluster.sync?.syncStandbys.some((standby) => standby.toLowerCase() === name.toLowerCase()) ?? false;
}

/** Patroni's is_failover_possible: undefined when some member could take over. */
async function failoverImpossibleReason(
  context: RouteContext,
  cluster: Cluster,
  settings: GlobalSettings,
  request: SwitchoverRequest,
  action: Action,
): Promise<string | undefined> {
  const { leader, candidate } = request;
  if (leader !== undefined && cluster.leader?.name !== leader) return 'leader name does not match';
  // Quorum mode too: only a voter of /sync may be switched to (core promotes no other).
  const strictSync = settings.synchronousMode;
  let members;
  if (candidate !== undefined) {
    if (action === 'switchover' && strictSync && !inSync(cluster, candidate)) {
      return 'candidate name does not match with sync_standby';
    }
    members = cluster.members.filter((member) => member.name === candidate);
    if (members.length === 0) return 'candidate does not exists';
  } else if (strictSync) {
    members = cluster.members.filter((member) => inSync(cluster, member.name));
    if (members.length === 0) return `${action} is not possible: can not find sync_standby`;
  } else {
    members = cluster.members.filter(
      (member) => cluster.leader === undefined || (member.name !== cluster.leader.name && member.data.api_url),
    );
    if (members.length === 0) return `${action} is not possible: cluster does not have members except leader`;
  }
  const statuses = await context.controller.fetchPeerStatuses(members);
  const good = statuses.some((status) => status.reachable && status.tags?.['nofailover'] !== true && status.watchdogFailed !== true);
  return good ? undefined : `${action} is not possible: no good candidates have been found`;
}

function verb(action: Action): string {
  return action === 'switchover' ? 'switched' : 'failed';
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Patroni's poll interval: by then an empty /failover means the leader dropped the request. */
const REFUSAL_AFTER_MS = 1000;

/** Poll the DCS until a new leader appears, the request is gone, or time is up (spec §7.1 step 9). */
async function waitForResult(context: RouteContext, oldLeader: string | undefined, request: SwitchoverRequest, action: Action): Promise<Reply> {
  const candidate = request.candidate;
  const timeoutMs = context.switchoverTimeoutMs ?? 2 * Math.max(10, context.currentView().snapshot.loopWaitSeconds) * 1000;
  const attempts = Math.max(1, Math.ceil(timeoutMs / context.switchoverPollIntervalMs));
  let last: Cluster | undefined;
  // An adapter's read may lag our own write of /failover by a moment (a watch cache): an empty
  // key counts as "the leader refused" only once we saw ours, or after Patroni's one-second poll.
  let seenRequest = false;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    await context.sleep(context.switchoverPollIntervalMs);
    const read = await context.controller.getCluster();
    if (!read.ok) {
      last = undefined;
      continue;
    }
    const cluster = read.value;
    last = cluster;
    const failover = cluster.failover;
    const pending = failover !== undefined && (Boolean(failover.leader) || Boolean(failover.candidate));
    const newLeader = takenOver(cluster, oldLeader);
    // A new key holder that leaves our request as written has not started its promotion yet (a
    // pgwarden winner clears it once it has, Patroni's right after taking the lock; when paused
    // both keep only the candidate): its pre_promote or watchdog may still refuse and another
    // member take over — wait for that.
    const ours = failover !== undefined && (failover.leader ?? '') === (request.leader ?? '') && (failover.candidate ?? '') === (candidate ?? '');
    if (newLeader !== undefined && !ours) return takeOverReply(action, newLeader, candidate);
    if (pending) seenRequest = true;
    else if (seenRequest || (attempt + 1) * context.switchoverPollIntervalMs >= REFUSAL_AFTER_MS) return textReply(503, `${capitalised(action)} failed`);
  }
  // A new leader that never cleared the request (its write failed) has still taken over.
  const newLeader = last === undefined ? undefined : takenOver(last, oldLeader);
  if (newLeader !== undefined) return takeOverReply(action, newLeader, candidate);
  // Patroni's text first (tools match it), then where the hand-over stands (INCIDENTS #8).
  return textReply(503, `${capitalised(action)} status unknown: ${handOverPhase(last, oldLeader, candidate)}`);
}

/** The member holding the leader key when it is not the old leader, else undefined. */
function takenOver(cluster: Cluster, oldLeader: string | undefined): string | undefined {
  const holder = cluster.leader?.name;
  return !isUnlocked(cluster) && holder !== undefined && holder !== oldLeader ? holder : undefined;
}

function takeOverReply(action: Action, newLeader: string, candidate: string | undefined): Reply {
  if (candidate === undefined || candidate === newLeader) return textReply(200, `Successfully ${verb(action)} over to "${newLeader}"`);
  return textReply(200, `${capitalised(verb(action))} over to "${newLeader}" instead of "${candidate}"`);
}

function memberState(cluster: Cluster, name: string | undefined): string {
  const found = name === undefined ? undefined : cluster.members.find((member) => member.name === name);
  if (found === undefined) return name === undefined ? '' : ` (${name}: no member key)`;
  const { state, role } = found.data;
  return ` (${name}: ${[role, state].filter((part) => part !== undefined && part !== '').join(', ') || 'no state published'})`;
}

/** Where a switchover that has not finished in time stands, in words, from the last cluster read. */
export function handOverPhase(cluster: Cluster | undefined, oldLeader: string | undefined, candidate: string | undefined): string {
  if (cluster === undefined) return 'the DCS could not be read at the last poll';
  const holder = isUnlocked(cluster) ? undefined : cluster.leader?.name;
  if (holder !== undefined && holder === oldLeader) {
    return `${oldLeader} still holds the leader lock and is demoting or has not started to${memberState(cluster, oldLeader)}`;
  }
  if (holder === undefined) {
    const waiting = candidate === undefined ? 'no member has taken it yet' : `${candidate} has not taken it yet${memberState(cluster, candidate)}`;
    return `${oldLeader ?? 'the leader'} released the leader lock; ${waiting}`;
  }
  return `the leader lock is held by ${holder}`;
}

/** Steps 1-6 of spec §7.1: a reply when the request is refused, else the normalised schedule. */
function validate(context: RouteContext, request: SwitchoverRequest, settings: GlobalSettings, action: Action): Reply | { action: Action; scheduledIso?: string } {
  const { leader, candidate, scheduledAt } = request;
  if (action === 'failover' && candidate === undefined) return textReply(400, 'Failover could be performed only to a specific candidate');
  if (action === 'switchover' && leader === undefined) return textReply(400, 'Switchover could be performed only from a specific leader');
  let scheduledIso: string | undefined;
  if (scheduledAt !== undefined) {
    if (action === 'failover') return textReply(400, "Failover can't be scheduled");
    if (settings.paused) return textReply(400, "Can't schedule switchover in the paused state");
    const parsed = parseSchedule(scheduledAt, action, context.now());
    if (!parsed.ok) return textReply(parsed.status, parsed.message);
    scheduledIso = parsed.iso;
  }
  if (settings.paused && candidate === undefined) return textReply(400, 'Switchover is possible only to a specific candidate in a paused state');
  const effective: Action = action === 'failover' && leader !== undefined ? 'switchover' : action;
  if (leader === candidate) return textReply(400, 'Switchover target and source are the same');
  return { action: effective, ...(scheduledIso !== undefined ? { scheduledIso } : {}) };
}

async function handleManualFailover(context: RouteContext, requested: Action): Promise<Reply> {
  const request = readRequest(context.body, requested);
  if ('status' in request) return request;
  const read = await context.controller.getCluster();
  if (!read.ok) return textReply(503, 'Service Unavailable: DCS is not accessible');
  const cluster = read.value;
  const settings = globalSettings(cluster, snapshotSettings(context.view));
  context.logger.info({ action: requested, ...request }, `received ${requested} request`);
  const checked = validate(context, request, settings, requested);
  if ('status' in checked) return checked;
  const { action, scheduledIso } = checked;
  if (scheduledIso === undefined) {
    const reason = await failoverImpossibleReason(context, cluster, settings, request, action);
    if (reason !== undefined) return textReply(412, reason);
  }
  const value: FailoverValue = {
    ...(request.leader !== undefined ? { leader: request.leader } : {}),
    ...(request.candidate !== undefined ? { member: request.candidate } : {}),
    ...(scheduledIso !== undefined ? { scheduled_at: scheduledIso } : {}),
  };
  const written = await context.controller.setFailover(value);
  if (!written.ok) return textReply(503, 'failed to write failover key into DCS');
  context.controller.wake();
  if (scheduledIso !== undefined) return textReply(202, `${capitalised(action)} scheduled`);
  return waitForResult(context, cluster.leader?.name, request, action);
}

const manualFailoverRoute = (action: Action): Route => ({
  protected: true,
  allowlistMembers: true,
  body: 'required',
  handle: (context) => handleManualFailover(context, action),
});

export const switchoverRoutes: Readonly<Record<string, Route>> = {
  'POST switchover': manualFailoverRoute('switchover'),
  'POST failover': manualFailoverRoute('failover'),
  'DELETE switchover': {
    protected: true,
    allowlistMembers: true,
    body: 'none',
    async handle(context) {
      const read = await context.controller.getCluster();
      if (!read.ok) return textReply(503, 'Service Unavailable: DCS is not accessible');
      const failover = read.value.failover;
      if (failover?.scheduledAt === undefined) return textReply(404, 'no switchover is scheduled');
      const written = await context.controller.setFailover({}, failover.version);
      if (!written.ok) return textReply(409, 'Conflict: the failover key changed in the DCS meanwhile');
      context.controller.wake();
      return textReply(200, 'scheduled switchover deleted');
    },
  },
};

