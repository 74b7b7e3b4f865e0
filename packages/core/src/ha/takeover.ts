/**
 * The leader-race gate (spec/ha-loop.md §8.1, §8.3, §8.4) over the context:
 * whether we may try to take the lock, whether a failover is possible at all,
 * and which peers' statuses we need to know to answer.
 */
import type { Cluster } from '../model/cluster.js';
import { clusterTimeline, failoverPriority, findMember, isPrimaryRole } from '../model/cluster-helpers.js';
import type { HaSettings } from '../model/decide-types.js';
import type { PeerStatus } from '../model/local-state.js';
import type { Context } from './context.js';
import { excludedBySync, inSyncKey, isNoFailover, isRunningPrimary, myPriority, myWalPosition, syncKeyHasLeader, syncModeActive } from './context.js';
import { assessTakeover } from './healthiest.js';
import { exceedsMaximumLag } from './lag.js';
import { quorumVotes } from './quorum.js';
import { rankFailoverCandidates, type CandidateVerdict } from './rank-candidates.js';

export type Gate = { readonly kind: 'healthy' | 'unhealthy'; readonly reason: string } | { readonly kind: 'need-peers'; readonly names: readonly string[] };

const healthy = (reason: string): Gate => ({ kind: 'healthy', reason });
const unhealthy = (reason: string): Gate => ({ kind: 'unhealthy', reason });

/** With failsafe mode, only members listed in a non-empty /failsafe may win a race. */
function allowedByFailsafe(ctx: Context, name: string): boolean {
  const failsafe = ctx.cluster.failsafe;
  if (!ctx.input.settings.failsafeMode || failsafe === undefined || Object.keys(failsafe).length === 0) return true;
  return failsafe[name] !== undefined;
}

/** Other members worth asking about: last snapshot with a leader + current + /failsafe names. */
export function raceCompetitors(ctx: Context): string[] {
  const names = new Set<string>([...ctx.memory.lastSeenMembers, ...ctx.cluster.members.map((member) => member.name)]);
  if (ctx.input.settings.failsafeMode && ctx.cluster.failsafe !== undefined) {
    for (const name of Object.keys(ctx.cluster.failsafe)) names.add(name);
  }
  names.delete(ctx.name);
  return [...names].sort();
}

/** A member that runs as a replica at or behind `position`: it votes for, or attests, a member at `position`. */
function replicaAtOrBehind(status: PeerStatus | undefined, position: number): boolean {
  return status?.reachable === true && status.isPrimary !== true && status.walPosition !== undefined && status.walPosition <= position;
}

/**
 * Quorum mode (./quorum.ts): the votes we gather from `/sync`'s voters —
 * reachable replicas at or behind our position — and the quorum they must
 * reach. Undefined outside quorum mode or without a `/sync` leader.
 */
function quorumProof(ctx: Context, peers: readonly PeerStatus[]): { votes: number; quorum: number } | undefined {
  const sync = ctx.cluster.sync;
  if (ctx.input.settings.synchronousMode !== 'quorum' || !syncModeActive(ctx) || sync === undefined || !syncKeyHasLeader(ctx)) return undefined;
  // The leader `/sync` names acknowledged every commit itself, and nobody promoted after it: a
  // promotion claims `/sync` before it runs (./rules/enforce-primary.ts).
  if (sync.leader?.toLowerCase() === ctx.name.toLowerCase()) return undefined;
  const mine = myWalPosition(ctx);
  const quorum = sync.quorum ?? 0;
  if (syncLeaderAttests(sync.leader, peers, mine)) return { votes: quorum, quorum };
  const behind = peers.filter((peer) => replicaAtOrBehind(peer, mine)).map((peer) => peer.name);
  return { votes: quorumVotes(ctx.name, { quorum, voters: sync.syncStandbys }, behind), quorum };
}

/**
 * The leader `/sync` names flushed every commit it acknowledged, and nobody
 * promoted after it (a promotion claims `/sync` first), so nothing rewound or
 * re-cloned it since: once it runs as a replica at or behind `position`, a
 * member at `position` holds every acknowledged commit, whatever the voters
 * say. Without it, a cluster whose former leader is back as a replica but one
 * voter is down waits for that voter (the simulator: leaderless for over an hour).
 */
function syncLeaderAttests(syncLeader: string | undefined, statuses: readonly PeerStatus[], position: number): boolean {
  if (syncLeader === undefined) return false;
  return replicaAtOrBehind(statuses.find((peer) => peer.name.toLowerCase() === syncLeader.toLowerCase()), position);
}

/** Unhealthy when quorum mode cannot prove that we hold every acknowledged commit. */
function quorumGate(ctx: Context, peers: readonly PeerStatus[]): Gate | undefined {
  const proof = quorumProof(ctx, peers);
  if (proof === undefined || proof.votes >= proof.quorum) return undefined;
  return unhealthy(`quorum requirement ${proof.quorum} can not be reached: ${Math.max(proof.votes, 0)} voters at or behind my position`);
}

/**
 * Quorum mode, a switchover's candidate that is not us: could it pass its own
 * quorum gate (manualFailoverWithoutLeader) from what we see — the former
 * leader stopped at or behind it, or enough voters at or behind its position,
 * us included? A member that defers to a candidate which then refuses leaves
 * the cluster without a leader for as long as the request stands (the
 * simulator: a switchover asked while the leader was in failsafe, whose lock
 * then expired with the candidate behind the others). Only liveness rides on
 * it: every winner still proves its own quorum.
 */
function candidateCanProveQuorum(ctx: Context, peers: readonly PeerStatus[], candidate: string, position: number): boolean {
  const failover = ctx.cluster.failover;
  const sync = ctx.cluster.sync;
  if (!failover?.leader || ctx.input.settings.synchronousMode !== 'quorum' || !syncModeActive(ctx) || sync === undefined || !syncKeyHasLeader(ctx)) return true;
  if (sync.leader?.toLowerCase() === candidate.toLowerCase()) return true;
  const me: PeerStatus = { name: ctx.name, reachable: true, isPrimary: isRunningPrimary(ctx), walPosition: myWalPosition(ctx) };
  const everyone = [...peers.filter((peer) => peer.name !== ctx.name), me];
  if (replicaAtOrBehind(everyone.find((status) => status.name === failover.leader), position) || syncLeaderAttests(sync.leader, everyone, position)) return true;
  const behind = everyone.filter((status) => status.name !== candidate && replicaAtOrBehind(status, position)).map((status) => status.name);
  const quorum = sync.quorum ?? 0;
  return quorumVotes(candidate, { quorum, voters: sync.syncStandbys }, behind) >= quorum;
}

/**
 * We are the candidate of a switchover, and its former leader gave the key
 * up itself: the release wrote its member key (PostgreSQL stopped, not a
 * primary) in the same DCS write, and this snapshot shows both. Every
 * member whose agent can write the DCS publishes its role in its own key
 * (checked from the snapshot by assessHealthiest), and one that cannot
 * write it has demoted itself by the lock's validity — outside pause and
 * failsafe mode, excluded here, as is quorum mode, whose proof needs the
 * peers' positions. Asking the peers would add nothing, and it takes the
 * time in which no member takes writes (Patroni's candidate asks nobody).
 */
export function switchoverHandedToMe(cluster: Cluster, name: string, settings: HaSettings): boolean {
  const failover = cluster.failover;
  if (cluster.leader !== undefined || failover === undefined || failover.candidate !== name) return false;
  if (settings.paused || settings.synchronousMode === 'quorum') return false;
  if (settings.failsafeMode && cluster.failsafe !== undefined && Object.keys(cluster.failsafe).length > 0) return false;
  const former = findMember(cluster, failover.leader); // none without a leader named: a manual failover
  return former !== undefined && former.data.state === 'stopped' && !isPrimaryRole(former.data.role);
}

function peersOrAsk(ctx: Context, names: readonly string[]): readonly PeerStatus[] | Gate {
  if (names.length === 0) return [];
  if (ctx.input.peers === undefined) return { kind: 'need-peers', names };
  return ctx.input.peers;
}

function isGate(value: readonly PeerStatus[] | Gate): value is Gate {
  return !Array.isArray(value);
}

/** §8.4: some other member could take over now (optionally only `candidate`, optionally excluding it). */
export function failoverVerdicts(ctx: Context, peers: readonly PeerStatus[], options: { excludeCandidate?: boolean; manualFailover?: boolean } = {}): CandidateVerdict[] {
  const failover = ctx.cluster.failover;
  let members = ctx.cluster.members.filter((member) => member.name !== ctx.name);
  const candidate = failover?.candidate;
  if (candidate !== undefined && candidate !== '') {
    members = options.excludeCandidate === true ? members.filter((member) => member.name !== candidate) : members.filter((member) => member.name === candidate);
  }
  // Members that may not win a race (missing from a non-empty /failsafe) cannot take over.
  const failsafe = ctx.cluster.failsafe;
  if (ctx.input.settings.failsafeMode && failsafe !== undefined && Object.keys(failsafe).length > 0) {
    members = members.filter((member) => failsafe[member.name] !== undefined);
  }
  const restrictToSync = syncModeActive(ctx) && syncKeyHasLeader(ctx) && options.manualFailover !== true;
  return rankFailoverCandidates({
    candidates: members.map((member) => ({ name: member.name, ...(member.data.tags === undefined ? {} : { tags: member.data.tags }) })),
    statuses: peers,
    leaderLsn: ctx.cluster.lastLsn,
    maximumLagBytes: ctx.input.settings.maximumLagOnFailoverBytes,
    ...(restrictToSync ? { syncNames: ctx.cluster.sync?.syncStandbys ?? [] } : {}),
    ...(ctx.input.settings.checkTimeline ? { clusterTimeline: clusterTimeline(ctx.cluster) } : {}),
  });
}

/** §8.3: a /failover request while nobody holds the lock; undefined = undecided. */
function manualFailoverWithoutLeader(ctx: Context, peers: readonly PeerStatus[]): Gate | undefined {
  const failover = ctx.cluster.failover;
  if (failover === undefined) return undefined;
  // Never beside a live primary, the former leader included (a failsafe or paused primary may
  // still run without the key): beyond Patroni, whose manual-failover shortcuts skip this check.
  const alivePrimary = peers.find((peer) => peer.reachable && peer.isPrimary === true && peer.name !== ctx.name);
  if (alivePrimary !== undefined && !isRunningPrimary(ctx)) return unhealthy(`Primary (${alivePrimary.name}) is still alive`);
  const candidate = failover.candidate;
  if (candidate !== undefined && candidate !== '') {
    if (candidate === ctx.name) {
      // Defence in depth: a switchover (not a failover) never promotes a non-sync member...
      if (failover.leader && excludedBySync(ctx, ctx.name)) {
        return unhealthy('switchover candidate is not a synchronous standby');
      }
      // ...nor a lagging one: only an explicit manual failover accepts the data loss.
      if (failover.leader && exceedsMaximumLag(ctx.cluster.lastLsn, myWalPosition(ctx), ctx.input.settings.maximumLagOnFailoverBytes)) {
        return unhealthy('switchover candidate lags beyond maximum_lag_on_failover');
      }
      // Quorum mode: a switchover's candidate needs the proof a failover needs, unless the former
      // leader itself (stopped by now) is at or behind us. A failover with no leader named accepts the loss.
      if (failover.leader) {
        const former = peers.find((peer) => peer.name === failover.leader);
        const formerBehind = replicaAtOrBehind(former, myWalPosition(ctx));
        const gate = formerBehind ? undefined : quorumGate(ctx, peers);
        if (gate !== undefined) return gate;
      }
      return healthy(`I am the candidate of the manual ${failover.leader ? 'switchover' : 'failover'}`);
    }
    if (ctx.paused) return unhealthy(`paused: only the candidate ${candidate} may take over`);
    if (excludedBySync(ctx, ctx.name)) return unhealthy('not a synchronous standby');
    const status = peers.find((peer) => peer.name === candidate);
    // Defer only to a candidate that will itself take over (same rules it applies to itself).
    const candidateLags = Boolean(failover.leader) && exceedsMaximumLag(ctx.cluster.lastLsn, status?.walPosition, ctx.input.settings.maximumLagOnFailoverBytes);
    const candidateNotSync = Boolean(failover.leader) && excludedBySync(ctx, candidate);
    const candidateLacksQuorum = status?.walPosition !== undefined && !candidateCanProveQuorum(ctx, peers, candidate, status.walPosition);
    const candidateMayWin = !candidateLags && !candidateNotSync && !candidateLacksQuorum && allowedByFailsafe(ctx, candidate);
    if (status?.reachable === true && failoverPriority(status.tags) > 0 && status.watchdogFailed !== true && candidateMayWin) {
      return unhealthy(`the candidate ${candidate} is healthy: letting it take over`);
    }
  } else if (ctx.paused) {
    return unhealthy('paused: a failover needs a specific candidate');
  }
  const formerLeader = failover.leader;
  if (formerLeader !== undefined && formerLeader === ctx.name) {
    const others = failoverVerdicts(ctx, peers, { excludeCandidate: true });
    if (others.some((verdict) => verdict.eligible)) return unhealthy('another member can take over');
    // Beyond Patroni, whose former leader takes over here without a lag check: the request may be
    // stale (another leader has written since it was made), and only a manual failover with no
    // leader named accepts a loss (the simulator: 2 members, seed 10317 of the stuck-shutdown mix).
    const lag = assessTakeover({ selfName: ctx.name, myWalPosition: myWalPosition(ctx), myPriority: myPriority(ctx), peers: [], maximumLagBytes: ctx.input.settings.maximumLagOnFailoverBytes, leaderLsn: ctx.cluster.lastLsn });
    return lag.healthy ? healthy('I am the only healthy member') : unhealthy(lag.reason);
  }
  const syncActive = syncModeActive(ctx) && syncKeyHasLeader(ctx);
  // A switchover whose candidate cannot take over turns into a race: in quorum mode it needs the
  // failover's proof (only an explicit manual failover, no leader named, accepts a loss).
  if (formerLeader) {
    const gate = quorumGate(ctx, peers);
    if (gate !== undefined) return gate;
  }
  // Patroni skips the lag check here; pgwarden keeps it unless this is an explicit manual
  // failover (no leader named): a pending switchover must not turn a crash into a lossy failover.
  const verdict = assessTakeover({
    selfName: ctx.name,
    myWalPosition: myWalPosition(ctx),
    myPriority: myPriority(ctx),
    // In synchronous mode only /sync members compete (as in §8.1 step 8): yielding to an
    // async member that may not promote would leave the cluster leaderless.
    peers: peers.filter((peer) => peer.name !== formerLeader && (!syncActive || inSyncKey(ctx, peer.name)) && allowedByFailsafe(ctx, peer.name)),
    maximumLagBytes: ctx.input.settings.maximumLagOnFailoverBytes,
    ...(formerLeader ? { leaderLsn: ctx.cluster.lastLsn } : {}),
  });
  return verdict.healthy ? healthy(verdict.reason) : unhealthy(verdict.reason);
}

function runningPrimaryGate(ctx: Context): Gate {
  const local = ctx.input.local;
  if (ctx.paused) {
    const initialize = ctx.cluster.initialize;
    return initialize === undefined || initialize === '' || initialize === local.systemIdentifier
      ? healthy('running primary (paused), system ID matches')
      : unhealthy('paused: system ID does not match initialize');
  }
  const timeline = clusterTimeline(ctx.cluster);
  if (local.timeline !== undefined && local.timeline < timeline) {
    return unhealthy(`my timeline ${local.timeline} is behind the cluster timeline ${timeline}`);
  }
  return healthy('I am the running primary');
}

/** §8.1: may we race for the lock? Asks for peers' statuses when it needs them. */
export function assessHealthiest(ctx: Context): Gate {
  const { settings, nowMs } = ctx.input;
  const backOff = ctx.memory.prePromoteFailedAtMs;
  if (backOff !== undefined && nowMs - backOff < settings.ttlSeconds * 1000) return unhealthy('pre_promote failed less than ttl ago');
  // Failsafe: while a leader may still run on every member's word, only members it asked may win,
  // manual failover or not (else a member missing from /failsafe could promote beside it).
  const failsafe = ctx.cluster.failsafe;
  if (settings.failsafeMode && failsafe !== undefined && Object.keys(failsafe).length > 0 && failsafe[ctx.name] === undefined && !isRunningPrimary(ctx)) {
    return unhealthy('not listed in /failsafe');
  }
  // Beyond Patroni: a member whose own key (refreshed with its lease) says it runs as primary is
  // alive even when its REST API cannot be reached from here (member↔member partition).
  const publishedPrimary = ctx.cluster.members.find(
    (member) => member.name !== ctx.name && isPrimaryRole(member.data.role) && member.data.state === 'running',
  );
  if (publishedPrimary !== undefined && !isRunningPrimary(ctx)) return unhealthy(`Primary (${publishedPrimary.name}) is still alive (its member key says so)`);
  const competitors = raceCompetitors(ctx);
  const failover = ctx.cluster.failover;
  const peersNeeded =
    !switchoverHandedToMe(ctx.cluster, ctx.name, ctx.input.settings) && (failover !== undefined || (!isRunningPrimary(ctx) && !ctx.paused && !isNoFailover(ctx)));
  const peers = peersNeeded ? peersOrAsk(ctx, competitors) : [];
  if (isGate(peers)) return peers;
  if (ctx.paused && !isNoFailover(ctx) && failover !== undefined && failover.scheduledAt === undefined) {
    const manual = manualFailoverWithoutLeader(ctx, peers);
    if (manual !== undefined) return manual;
  }
  if (isRunningPrimary(ctx)) return runningPrimaryGate(ctx);
  if (ctx.paused) return unhealthy('paused: no automatic promotion');
  if (isNoFailover(ctx)) return unhealthy('tagged nofailover');
  // Patroni weighs this after a named candidate's "me" (§8.1 step 6 after step 5), so a candidate
  // whose device refuses the timeout takes the key, cannot arm it, releases, and takes it again
  // for as long as the request stands, the others deferring to it: no primary at all. Here it
  // stands down first, and its `watchdog_failed` makes the others race without it.
  if (settings.watchdogMode === 'required' && ctx.input.watchdogUnusable === true) return unhealthy('Watchdog device is not usable');
  if (failover !== undefined) {
    if (failover.leader && excludedBySync(ctx, ctx.name)) {
      return unhealthy('switchover in synchronous mode and I am not a synchronous standby');
    }
    return manualFailoverWithoutLeader(ctx, peers) ?? unhealthy('manual failover undecided');
  }
  return walComparisonGate(ctx, peers);
}

function walComparisonGate(ctx: Context, peers: readonly PeerStatus[]): Gate {
  const { settings, local } = ctx.input;
  let candidates = peers;
  const failsafe = ctx.cluster.failsafe;
  if (settings.failsafeMode && failsafe !== undefined && Object.keys(failsafe).length > 0 && failsafe[ctx.name] === undefined) {
    return unhealthy('not listed in /failsafe');
  }
  // A live primary blocks the race whatever filter below would drop it.
  const alive = peers.find((peer) => peer.reachable && peer.isPrimary === true && peer.name !== ctx.name);
  if (alive !== undefined) return unhealthy(`Primary (${alive.name}) is still alive`);
  // Members that may not win (missing from /failsafe) must not block those that may either.
  if (settings.failsafeMode && failsafe !== undefined && Object.keys(failsafe).length > 0) {
    candidates = candidates.filter((peer) => failsafe[peer.name] !== undefined);
  }
  const syncActive = syncModeActive(ctx) && syncKeyHasLeader(ctx);
  if (syncActive) {
    if (!inSyncKey(ctx, ctx.name)) return unhealthy('not a synchronous standby: not listed in /sync');
    candidates = candidates.filter((peer) => inSyncKey(ctx, peer.name));
    const quorum = quorumGate(ctx, peers);
    if (quorum !== undefined) return quorum;
  }
  if (settings.checkTimeline && settings.standbyCluster === undefined) {
    const timeline = clusterTimeline(ctx.cluster);
    if (local.timeline === undefined) return unhealthy('my timeline is unknown');
    if (local.timeline < timeline) return unhealthy(`my timeline ${local.timeline} is behind the cluster timeline ${timeline}`);
    // Beyond Patroni, which compares positions only: a peer behind the cluster timeline refuses to
    // take over by this same check, so it must not block us either. Its position, on an older
    // timeline, may be past our fork (a branch the cluster left); deferring to it left no leader at
    // all (simulator, check_timeline on, fault rate 0.05, seed 5056: 35 minutes without a primary).
    candidates = candidates.filter((peer) => peer.timeline === undefined || peer.timeline >= timeline);
  }
  const claim = ctx.memory.lastLeaderClaim;
  const claimActive = settings.preferLastLeaderAfterDcsOutage && claim !== undefined && ctx.input.nowMs < claim.untilMs;
  if (claimActive && claim.name !== ctx.name) {
    const status = peers.find((peer) => peer.name === claim.name);
    if (status?.reachable === true && failoverPriority(status.tags) > 0 && status.watchdogFailed !== true) {
      return unhealthy(`the last leader ${claim.name} is healthy and has first claim on the lock after the DCS outage`);
    }
  }
  const verdict = assessTakeover({
    selfName: ctx.name,
    myWalPosition: myWalPosition(ctx),
    myPriority: myPriority(ctx),
    peers: candidates,
    leaderLsn: ctx.cluster.lastLsn,
    maximumLagBytes: settings.maximumLagOnFailoverBytes,
    ...(syncActive && ctx.cluster.sync?.leader ? { syncLeader: ctx.cluster.sync.leader } : {}),
    ignorePriorityTie: claimActive && claim?.name === ctx.name,
  });
  return verdict.healthy ? healthy(verdict.reason) : unhealthy(verdict.reason);
}
