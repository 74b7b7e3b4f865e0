/**
 * Informational GET endpoints (spec/rest-api.md §5). All but `/cluster`
 * answer from the snapshot (`/patroni` after asking the controller for fresh
 * replication positions); `/cluster` reads the DCS freshly, and
 * `/history` and `/config` read it only when the cached view has expired.
 */
import type { Cluster } from '@pgwarden/core';
import { clusterAsJson, type GlobalSettings } from './cluster-json.js';
import { isClusterValid } from './health.js';
import { jsonReply, textReply, type Reply } from './http-io.js';
import { statusBody, type MemberView } from './member-view.js';
import { renderMetrics } from './metrics.js';
import type { Route, RouteContext } from './route-types.js';

const DCS_UNREACHABLE = 'DCS is not accessible';

export function snapshotSettings(view: MemberView): GlobalSettings {
  const snapshot = view.snapshot;
  return {
    paused: snapshot.paused,
    synchronousMode: snapshot.synchronousMode !== false,
    quorumMode: snapshot.synchronousMode === 'quorum',
    standbyCluster: snapshot.standbyCluster,
  };
}

/** The cached cluster while valid, else a fresh read; undefined when the DCS fails. */
async function cachedOrFreshCluster(context: RouteContext): Promise<Cluster | undefined> {
  const cached = context.view.snapshot.cluster;
  if (cached !== undefined && isClusterValid(context.view, context.monotonicNow())) return cached;
  const fresh = await context.controller.getCluster();
  return fresh.ok ? fresh.value : undefined;
}

const REFRESH_BOUND_MS = 1000;

/** Let the controller refresh the positions, waiting no longer than `boundMs`; a failure leaves the snapshot as it was. */
async function refreshedWithin(context: RouteContext, boundMs: number): Promise<void> {
  const refresh = context.controller.refreshStatus?.();
  if (refresh === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, boundMs);
  });
  try {
    await Promise.race([refresh.catch(() => undefined), bound]);
  } finally {
    clearTimeout(timer);
  }
}

const readRoute = (handle: (context: RouteContext) => Promise<Reply> | Reply): Route => ({
  protected: false,
  allowlistMembers: false,
  body: 'none',
  handle,
});

export const readRoutes: Readonly<Record<string, Route>> = {
  'GET patroni': readRoute(async (context) => {
    await refreshedWithin(context, REFRESH_BOUND_MS);
    const view = context.currentView();
    return { status: 200, body: statusBody(view, isClusterValid(view, context.monotonicNow())), contentType: 'application/json' };
  }),
  'GET cluster': readRoute(async (context) => {
    const result = await context.controller.getCluster();
    if (!result.ok) return textReply(503, DCS_UNREACHABLE);
    return jsonReply(200, clusterAsJson(result.value, context.view.snapshot.scope, snapshotSettings(context.view)));
  }),
  'GET history': readRoute(async (context) => {
    const cluster = await cachedOrFreshCluster(context);
    if (cluster === undefined) return textReply(503, DCS_UNREACHABLE);
    return jsonReply(200, cluster.history?.lines ?? []);
  }),
  'GET config': readRoute(async (context) => {
    const cluster = await cachedOrFreshCluster(context);
    const config = cluster?.config;
    if (config === undefined || config.modifyVersion === 0) return textReply(502, 'Bad Gateway: no configuration in the DCS');
    return jsonReply(200, config.data);
  }),
  'GET failsafe': readRoute((context) => {
    const failsafe = context.view.snapshot.cluster?.failsafe;
    if (failsafe === undefined || !context.view.snapshot.failsafeMode) return textReply(502, 'Bad Gateway: failsafe mode is not enabled');
    return jsonReply(200, failsafe);
  }),
  'GET metrics': readRoute((context) => ({
    status: 200,
    body: renderMetrics(context.view, context.monotonicNow(), context.processHealth?.()),
    contentType: 'text/plain',
  })),
};
