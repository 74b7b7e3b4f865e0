/**
 * decide(): one HA cycle as a pure function (DESIGN.md "core is pure").
 * A short dispatcher over the situation, in the order of Patroni's
 * `_run_cycle` (spec/ha-loop.md §4); each branch is one rule in ./rules.
 */
import { emptyCluster } from '../model/cluster.js';
import type { DecideInput, DecideResult } from '../model/decide-types.js';
import { absorbInput } from './absorb.js';
import type { Context, Decision } from './context.js';
import { clusterIsUnlocked, decision, ownsLock } from './context.js';
import type { HaMemory } from './memory.js';
import { decideEmptyDataDirectory, decidePostBootstrap } from './rules/bootstrap.js';
import { decideDcsUnreachable } from './rules/dcs-unreachable.js';
import { decideFailedRenewal } from './rules/failed-renewal.js';
import { followLeader } from './rules/follow.js';
import { decideLongAction } from './rules/long-action.js';
import { decideOwnLock } from './rules/own-lock.js';
import { decideLeaderRace } from './rules/race.js';
import { decidePostgresNotRunning } from './rules/recover.js';
import { handleRequests } from './rules/requests.js';

const VALID_SYSID = /^\d{10,}$/;

/** §4 step 10: data that belongs to another cluster never joins this one. */
function systemIdentifierCheck(ctx: Context): Decision | undefined {
  const { local } = ctx.input;
  const mine = local.systemIdentifier;
  if (mine === undefined || !VALID_SYSID.test(mine)) {
    return decision(ctx, { ruleId: 'sysid.invalid', message: 'data dir for the cluster is not empty, but system ID is invalid; consider doing reinitialize' });
  }
  const initialize = ctx.cluster.initialize;
  if (initialize !== undefined && VALID_SYSID.test(initialize)) {
    if (initialize === mine) return undefined;
    const message = `system ID mismatch, node ${ctx.name} belongs to a different cluster: ${initialize} != ${mine}`;
    if (ctx.paused) {
      const actions = ownsLock(ctx) ? [{ type: 'release-lock' as const }] : [];
      return decision(ctx, { ruleId: 'sysid.mismatch-paused', message: ownsLock(ctx) ? 'released leader key voluntarily due to the system ID mismatch' : message, actions });
    }
    return decision(ctx, { ruleId: 'sysid.mismatch', message, actions: [{ type: 'exit', code: 1, reason: message }] });
  }
  if (clusterIsUnlocked(ctx) && !ctx.paused && ctx.memory.cycles <= 1 && initialize !== '') {
    if (local.running && local.inRecovery) {
      const reason = 'the DCS has no initialize key and this replica cannot know the cluster it belongs to';
      return decision(ctx, { ruleId: 'sysid.replica-without-initialize', message: reason, actions: [{ type: 'exit', code: 1, reason }] });
    }
    return decision(ctx, { ruleId: 'sysid.adopt-empty-dcs', message: 'writing our system ID into the empty initialize key', actions: [{ type: 'write-initialize', createNew: initialize === undefined, sysid: mine }] });
  }
  return undefined;
}

function mainBranch(ctx: Context): Decision {
  if (ctx.input.running !== undefined) return decideLongAction(ctx);
  if (ctx.memory.bootstrapping) return decidePostBootstrap(ctx);
  const dataDirectory = ctx.input.local.dataDirectory;
  if (dataDirectory === 'empty' || dataDirectory === 'inaccessible') return decideEmptyDataDirectory(ctx);
  const sysid = systemIdentifierCheck(ctx);
  if (sysid !== undefined) return sysid;
  // In pause nothing else starts a stopped PostgreSQL: an operator's restart does, as Patroni's
  // restart (a no-op stop, then start) does.
  if (!ctx.input.local.running && ctx.paused && ctx.input.requests.restart !== undefined) return handleRequests(ctx) ?? decidePostgresNotRunning(ctx);
  if (!ctx.input.local.running) return decidePostgresNotRunning(ctx);
  if (clusterIsUnlocked(ctx)) return decideLeaderRace(ctx);
  if (ownsLock(ctx)) return decideOwnLock(ctx);
  return handleRequests(ctx) ?? followLeader(ctx);
}

export function decide(input: DecideInput<HaMemory>): DecideResult<HaMemory> {
  const result = decideCycle(input);
  // One source for the mark, which outlives the rules that set it (see HaMemory.divergedStuck).
  return result.memory.divergedStuck === true ? { ...result, diverged: true } : result;
}

function decideCycle(input: DecideInput<HaMemory>): DecideResult<HaMemory> {
  const memory = absorbInput(input);
  const paused = input.settings.paused;
  if (!input.cluster.ok) {
    const ctx: Context = { input, cluster: emptyCluster, name: input.self.name, memory, paused };
    return decideDcsUnreachable(ctx, input.cluster.message);
  }
  const ctx: Context = { input, cluster: input.cluster.value, name: input.self.name, memory, paused };
  return decideFailedRenewal(ctx) ?? mainBranch(ctx);
}
