/**
 * Start-up steps that come before the first cycle (spec/dcs.md §6): wait
 * until the DCS answers (retrying, as Patroni's `waiting on etcd`), and
 * refuse to start when another live agent already uses our name.
 */
import type { Cluster, Dcs } from '@pgwarden/core';
import { PgwardenError } from '@pgwarden/core';
import type { AgentLogger } from './logger.js';
import type { PeerRequest } from './runtime/peer-client.js';

const dcsRetryDelayMs = 5000;

export async function waitForDcs(dcs: Dcs, logger: AgentLogger, signal: AbortSignal): Promise<Cluster | undefined> {
  for (;;) {
    const result = await dcs.getCluster();
    if (result.ok) return result.value;
    logger.warn({ error: result.message, backend: dcs.backend }, `waiting on ${dcs.backend}`);
    if (signal.aborted) return undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, dcsRetryDelayMs);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
    if (signal.aborted) return undefined;
  }
}

/** waitForDcs that SIGTERM/SIGINT interrupt (the agent's own handlers are not installed yet). */
export async function waitForDcsInterruptibly(dcs: Dcs, logger: AgentLogger): Promise<Cluster> {
  const startup = new AbortController();
  const stop = (): void => startup.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    const cluster = await waitForDcs(dcs, logger, startup.signal);
    if (cluster !== undefined) return cluster;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
  await dcs.close();
  throw new PgwardenError('interrupted', 'stopped while waiting for the DCS');
}

/** Patroni: a member key with our name whose /liveness answers within 3 s means a twin is running. */
export async function assertNameIsFree(cluster: Cluster, name: string, request: PeerRequest): Promise<void> {
  const member = cluster.members.find((candidate) => candidate.name === name);
  const apiUrl = member?.data.api_url;
  if (apiUrl === undefined) return;
  // With our TLS settings and credentials: a twin behind HTTPS on a private CA must not look absent.
  const answer = await request(apiUrl.replace(/\/patroni$/, '/liveness'), { timeoutMs: 3000 });
  if (answer?.status === 200) {
    throw new PgwardenError('name-in-use', `Can't start; there is already a node named '${name}' running`);
  }
}
