/**
 * The REST API's view of the member, built from the runtime's snapshot of
 * the last cycle. No field is computed on the request path: the API
 * evaluates time-dependent rules (lock still valid? cache still fresh?)
 * from the timestamps carried here.
 */
import { safetyMarginMs } from '@pgwarden/core';
import type { MemberSnapshot, ScheduledRestartView } from '@pgwarden/rest-api';
import { compatiblePatroniVersion, publishedTags, type PrimaryRoleName } from '../runtime/member-data.js';
import type { CycleSnapshot } from '../runtime/runtime-types.js';

export function toMemberSnapshot(
  snapshot: CycleSnapshot,
  scope: string,
  scheduledRestart: ScheduledRestartView | undefined,
  primaryRole: PrimaryRoleName = 'primary',
): MemberSnapshot {
  const { settings } = snapshot;
  return {
    name: snapshot.self.name,
    scope,
    version: compatiblePatroniVersion,
    role: snapshot.role,
    state: snapshot.state,
    postgres: snapshot.local,
    tags: publishedTags(snapshot.self.tags),
    paused: settings.paused,
    standbyCluster: settings.standbyCluster !== undefined,
    synchronousMode: settings.synchronousMode,
    failsafeMode: settings.failsafeMode,
    ttlSeconds: settings.ttlSeconds,
    loopWaitSeconds: settings.loopWaitSeconds,
    maximumLagOnFailoverBytes: settings.maximumLagOnFailoverBytes,
    ...(snapshot.cluster !== undefined ? { cluster: snapshot.cluster } : {}),
    ...(snapshot.clusterReadAtMs !== undefined ? { clusterReadAtMs: snapshot.clusterReadAtMs, dcsLastSeenMs: snapshot.clusterReadAtMs } : {}),
    ...(snapshot.lockRenewedAtMs !== undefined ? { lockRenewedAtMs: snapshot.lockRenewedAtMs, lockValidForMs: settings.ttlSeconds * 1000 - safetyMarginMs(settings) } : {}),
    failsafeActive: snapshot.failsafeActive,
    ...(snapshot.nextCycleAtMs !== undefined ? { nextCycleAtMs: snapshot.nextCycleAtMs } : {}),
    ...(scheduledRestart !== undefined ? { scheduledRestart } : {}),
    watchdogFailed: snapshot.watchdogFailed,
    ...(snapshot.diverged ? { diverged: true } : {}),
    metrics: snapshot.metrics,
    primaryRole,
  };
}
